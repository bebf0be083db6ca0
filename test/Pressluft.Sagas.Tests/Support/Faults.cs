using System.Data.Common;
using MassTransit;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Pressluft.Sagas.Tests.Support;

/// <summary>While armed, fails every database command that inserts into <see cref="Table"/> (say, an outbox or inbox write that fails).</summary>
public sealed class FailingInserts(string table) : DbCommandInterceptor
{
    private volatile bool _armed;
    private int _failures;

    public bool Armed
    {
        get => _armed;
        set => _armed = value;
    }

    public string Table { get; } = table;

    public int Failures => _failures;

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        FailIfArmed(command);
        return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        FailIfArmed(command);
        return base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
    }

    private void FailIfArmed(DbCommand command)
    {
        // Npgsql leaves lower-case names unquoted; SQLite quotes them.
        if (Armed && (command.CommandText.Contains($"INSERT INTO {Table}", StringComparison.Ordinal)
                      || command.CommandText.Contains($"INSERT INTO \"{Table}\"", StringComparison.Ordinal)))
        {
            Interlocked.Increment(ref _failures);
            throw new InvalidOperationException($"Simulated failure inserting into {Table}");
        }
    }
}

/// <summary>
/// Fails the first <paramref name="failures"/> deliveries to the transport of a message whose destination names
/// <see cref="MessageName"/> (one by default): a broker that takes nothing, or a process that dies after its commit.
/// </summary>
public sealed class FailingDelivery(string messageName, int failures = 1) : IFilter<SendContext>
{
    private int _remaining = failures;

    public string MessageName { get; } = messageName;

    /// <summary>Lets every delivery through from now on.</summary>
    public void Stop() => Interlocked.Exchange(ref _remaining, 0);

    public int Failed { get; private set; }

    public Task Send(SendContext context, IPipe<SendContext> next)
    {
        if (context.DestinationAddress?.AbsolutePath.Contains(MessageName, StringComparison.Ordinal) == true
            && Interlocked.Decrement(ref _remaining) >= 0)
        {
            Failed++;
            throw new InvalidOperationException($"Simulated transport failure delivering {MessageName}");
        }

        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("failingDelivery");
}

/// <summary>
/// Stalls the first delivery of a message whose destination names <see cref="MessageName"/> until <see cref="Release"/>,
/// then fails it: the process that committed the transition is as good as dead between its commit and its delivery.
/// </summary>
public sealed class StallingDelivery(string messageName) : IFilter<SendContext>
{
    private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining = 1;

    public string MessageName { get; } = messageName;

    /// <summary>Completes once a delivery is held.</summary>
    public Task Stalled => _stalled.Task;

    public void Release() => _released.TrySetResult();

    public async Task Send(SendContext context, IPipe<SendContext> next)
    {
        if (context.DestinationAddress?.AbsolutePath.Contains(MessageName, StringComparison.Ordinal) == true
            && Interlocked.Exchange(ref _remaining, 0) == 1)
        {
            _stalled.TrySetResult();
            await _released.Task;
            throw new InvalidOperationException($"The process delivering {MessageName} is gone");
        }

        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("stallingDelivery");
}
