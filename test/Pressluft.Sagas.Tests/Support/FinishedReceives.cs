using System.Collections.Concurrent;
using MassTransit;

namespace Pressluft.Sagas.Tests.Support;

/// <summary>
/// Every transport delivery an endpoint has finished with (its whole receive pipeline ran: retries, inbox/outbox,
/// delivery of what it sent), by message id. A second copy of a consumed message never reaches the saga, so the
/// saga harness cannot tell when it was dealt with; this can.
/// </summary>
public sealed class FinishedReceives : IReceiveObserver
{
    private readonly ConcurrentQueue<(Guid? MessageId, Uri InputAddress, Exception? Fault)> _finished = new();

    /// <summary>How many deliveries of <paramref name="messageId"/> the endpoint <paramref name="queueName"/> has finished with.</summary>
    public int Count(Guid messageId, string queueName) =>
        _finished.Count(f => f.MessageId == messageId && IsQueue(f.InputAddress, queueName));

    /// <summary>The faults of those deliveries.</summary>
    public IReadOnlyList<Exception> Faults(Guid messageId, string queueName) =>
        _finished.Where(f => f.MessageId == messageId && IsQueue(f.InputAddress, queueName) && f.Fault is not null).Select(f => f.Fault!).ToList();

    public Task PreReceive(ReceiveContext context) => Task.CompletedTask;

    public Task PostReceive(ReceiveContext context)
    {
        _finished.Enqueue((context.GetMessageId(), context.InputAddress, null));
        return Task.CompletedTask;
    }

    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType)
        where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception)
        where T : class => Task.CompletedTask;

    public Task ReceiveFault(ReceiveContext context, Exception exception)
    {
        _finished.Enqueue((context.GetMessageId(), context.InputAddress, exception));
        return Task.CompletedTask;
    }

    private static bool IsQueue(Uri inputAddress, string queueName) =>
        inputAddress.AbsolutePath.TrimEnd('/').EndsWith("/" + queueName, StringComparison.Ordinal);
}
