using MassTransit;

namespace Pressluft.Runner.Consumers;

/// <summary>The <c>health-check</c> endpoint. Playbook runs are not retried in process: an inconclusive answer is retried by the saga.</summary>
public sealed class HealthCheckConsumerDefinition : ConsumerDefinition<HealthCheckConsumer>
{
    public HealthCheckConsumerDefinition()
    {
        EndpointName = "health-check";
        ConcurrentMessageLimit = 4;
    }
}
