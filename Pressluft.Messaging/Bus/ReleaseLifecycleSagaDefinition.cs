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
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Ignore<RejectedMessageException>();
            r.Intervals(50, 200, 500, 1000, 2000);
        });
        GateStorage.ConfigureEndpoint(endpointConfigurator, context);
        endpointConfigurator.UseConsumeFilter(typeof(MessageValidationFilter<>), context);
    }
}
