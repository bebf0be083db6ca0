using MassTransit;

namespace Pressluft.Runner.Consumers;

/// <summary>The <c>release-rollback</c> endpoint.</summary>
public sealed class ReleaseRollbackConsumerDefinition : ConsumerDefinition<ReleaseRollbackConsumer>
{
    public ReleaseRollbackConsumerDefinition()
    {
        EndpointName = "release-rollback";
        ConcurrentMessageLimit = 4;
    }
}
