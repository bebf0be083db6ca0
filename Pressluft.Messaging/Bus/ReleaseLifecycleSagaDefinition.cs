using MassTransit;
using Pressluft.Sagas.StateMachines;
using Pressluft.Sagas.Validation;

namespace Pressluft.Messaging.Bus;

/// <summary>The saga's endpoint: retry (never for rejected messages), validation, and the storage's inbox/outbox.</summary>
public sealed class ReleaseLifecycleSagaDefinition : SagaDefinition<ReleaseLifecycleState>
{
    public ReleaseLifecycleSagaDefinition()
    {
        Endpoint(e => e.Name = "release-lifecycle");
    }

    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<ReleaseLifecycleState> sagaConfigurator,
        IRegistrationContext context)
    {
        // Retry comes first, so each attempt gets a fresh scope and DbContext. Concurrency conflicts on the saga row
        // (two messages for one environment) and lost insert races are retried; rejected messages never are.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Ignore<RejectedMessageException>();
            r.Exponential(10, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(50));
        });
        GateStorage.ConfigureEndpoint(endpointConfigurator, context);
        endpointConfigurator.UseConsumeFilter(typeof(MessageValidationFilter<>), context);
    }
}
