using System.Collections.Concurrent;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.Extensions.Options;
using Pressluft.Contracts;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// The saga endpoint's partitions: messages for one environment are handled one at a time in this process, in the order
/// they arrive, so they do not collide on the saga row. Zero partitions turn this off; optimistic concurrency still keeps
/// the saga right. One partitioner for every message type, keyed on the environment (the saga's correlation id).
/// </summary>
public sealed class EnvironmentPartitions(IOptions<MessagingOptions> options) : IAsyncDisposable
{
    private readonly MassTransit.Middleware.Partitioner? _partitioner =
        options.Value.SagaPartitions == 0 ? null : new MassTransit.Middleware.Partitioner(options.Value.SagaPartitions, new Murmur3UnsafeHashGenerator());

    private readonly ConcurrentDictionary<Type, object> _byMessageType = new();

    /// <summary>Runs <paramref name="next"/> in the environment's partition (or straight away when partitioning is off).</summary>
    public Task Send<T>(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
        where T : class
    {
        if (_partitioner is null || context.Message is not IEnvironmentMessage)
        {
            return next.Send(context);
        }

        var partitioner = (IPartitioner<ConsumeContext<T>>)_byMessageType.GetOrAdd(typeof(T),
            _ => _partitioner.GetPartitioner<ConsumeContext<T>>(c => ((IEnvironmentMessage)c.Message).EnvironmentId.ToByteArray()));
        return partitioner.Send(context, next);
    }

    public ValueTask DisposeAsync() => _partitioner?.DisposeAsync() ?? ValueTask.CompletedTask;
}
