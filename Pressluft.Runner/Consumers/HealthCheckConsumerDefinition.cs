using MassTransit;
using Microsoft.EntityFrameworkCore;
using Pressluft.Messaging.Bus;

namespace Pressluft.Runner.Consumers;

/// <summary>The <c>health-check</c> endpoint. Playbook runs are not retried in process: an inconclusive answer is retried by the saga.</summary>
public sealed class HealthCheckConsumerDefinition : ConsumerDefinition<HealthCheckConsumer>
{
    public HealthCheckConsumerDefinition()
    {
        EndpointName = "health-check";
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<HealthCheckConsumer> consumerConfigurator,
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
