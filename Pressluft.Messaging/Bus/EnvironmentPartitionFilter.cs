using MassTransit;

namespace Pressluft.Messaging.Bus;

/// <summary>Puts every message about an environment, whatever its type, into that environment's partition (<see cref="EnvironmentPartitions"/>).</summary>
public sealed class EnvironmentPartitionFilter<T>(EnvironmentPartitions partitions) : IFilter<ConsumeContext<T>>
    where T : class
{
    public Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next) => partitions.Send(context, next);

    public void Probe(ProbeContext context) => context.CreateFilterScope("environmentPartition");
}
