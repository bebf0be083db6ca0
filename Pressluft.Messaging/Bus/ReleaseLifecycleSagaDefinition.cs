using MassTransit;
using Pressluft.Contracts;
using Pressluft.Messaging.Outbox;
using Pressluft.Sagas.StateMachines;
using Pressluft.Sagas.Validation;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// The saga's endpoint: messages partitioned by environment, retry (never for rejected messages), the storage's
/// inbox/outbox, validation.
/// </summary>
public sealed class ReleaseLifecycleSagaDefinition : SagaDefinition<ReleaseLifecycleState>
{
    /// <summary>The saga's queue; mutation-intake sends accepted events here.</summary>
    public const string QueueName = "release-lifecycle";

    public ReleaseLifecycleSagaDefinition()
    {
        Endpoint(e => e.Name = QueueName);
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
        // Mutation events reach the saga through mutation-intake, which validates them; the saga's queue is not bound
        // to the public exchange.
        endpointConfigurator.ConfigureMessageTopology<MutationCompleted>(false);
        endpointConfigurator.UseConsumeFilter(typeof(EnvironmentPartitionFilter<>), context);
        // Everything the saga does is in its unit of work: a first delivery runs without reading its inbox row first.
        endpointConfigurator.UseEntityFrameworkInboxOutbox(context, onlyUnitOfWork: true);
        endpointConfigurator.UseConsumeFilter(typeof(MessageValidationFilter<>), context);
    }
}
