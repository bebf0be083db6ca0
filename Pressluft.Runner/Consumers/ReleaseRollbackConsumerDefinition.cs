using MassTransit;
using Microsoft.EntityFrameworkCore;
using Pressluft.Messaging.Bus;

namespace Pressluft.Runner.Consumers;

/// <summary>The <c>release-rollback</c> endpoint.</summary>
public sealed class ReleaseRollbackConsumerDefinition : ConsumerDefinition<ReleaseRollbackConsumer>
{
    public ReleaseRollbackConsumerDefinition()
    {
        EndpointName = "release-rollback";
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ReleaseRollbackConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        // Only a lost race between two deliveries of the same message is retried; it then finds the message consumed.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<DbUpdateException>();
            r.Intervals(100, 500, 1000);
        });
        GateStorage.ConfigureEndpoint(endpointConfigurator, context);
    }
}
