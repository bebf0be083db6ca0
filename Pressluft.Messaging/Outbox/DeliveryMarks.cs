using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Messaging.Outbox;

/// <summary>One consumed message whose outgoing messages were all delivered: its rows go, its inbox row is marked delivered.</summary>
public readonly record struct DeliveryMark(long InboxId, Guid MessageId, Guid ConsumerId, DateTime Delivered, long? LastSequenceNumber);

/// <summary>
/// Writes delivery marks: the delivered rows go and the inbox row is marked delivered, the message's second and last
/// commit, in one transaction with no explicit BEGIN (rows first, then the mark; a redelivery interrupted in between
/// finds the message consumed with nothing left to send, and only marks it). Bookkeeping only: on PostgreSQL its commit
/// does not wait for the WAL flush (<c>synchronous_commit</c> off for that transaction alone; one flush fewer per message
/// that sends). A server crash can lose it, never a later commit that did wait (WAL is flushed in order), and then it is
/// as if the crash came just before it: the relay delivers the rows again (DeliverAbandonedAsync) and receivers drop the
/// copies in their inbox. The message's own commit did wait.
/// On PostgreSQL the marks are a group commit: a message waits for its mark as before (it is acknowledged only once the
/// mark is written), but the marks of all messages finishing at the same time go in one statement pair, one round trip.
/// Idle, a mark is written at once on its own; under a backlog, each write takes every mark that queued while the last
/// one ran. SQLite (one writer) writes each mark on the message's own context.
/// </summary>
public sealed class DeliveryMarks(IServiceScopeFactory scopes)
{
    // The most marks one statement takes.
    private const int MaxBatch = 256;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private int _writing;
    private long _writes;

    /// <summary>How many statements have written marks (a mark alone or many together); for the specs.</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Completes once the mark is written (or fails with the statement that should have written it).</summary>
    public Task WriteAsync(PressluftDbContext db, DeliveryMark mark, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.Dialect.IsPostgres ? QueueAsync(mark) : WriteOneAsync(db, mark, cancellationToken);
    }

    private static async Task WriteOneAsync(PressluftDbContext db, DeliveryMark mark, CancellationToken cancellationToken) =>
        await db.Database.ExecuteSqlRawAsync(
            """
            DELETE FROM outbox_messages WHERE inbox_message_id = {0} AND inbox_consumer_id = {1};
            UPDATE inbox_states SET delivered = {2}, last_sequence_number = {3} WHERE id = {4};
            """,
            [mark.MessageId, mark.ConsumerId, mark.Delivered, (object?)mark.LastSequenceNumber ?? DBNull.Value, mark.InboxId],
            cancellationToken);

    private Task QueueAsync(DeliveryMark mark)
    {
        var pending = new Pending(mark, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _queue.Writer.TryWrite(pending);
        if (Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            _ = Task.Run(WriteQueuedAsync);
        }

        return pending.Done.Task;
    }

    // One writer at a time: it drains the queue in batches, then stops; the next mark starts it again. The check after it
    // stops catches a mark queued between its last read and the stop.
    private async Task WriteQueuedAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (true)
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            if (batch.Count == 0)
            {
                // The reader takes no Count (a single-reader channel throws NotSupportedException for it); it can peek.
                Volatile.Write(ref _writing, 0);
                if (!_queue.Reader.TryPeek(out _) || Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
                {
                    return;
                }

                continue;
            }

            try
            {
                await WriteBatchAsync(batch);
                Interlocked.Increment(ref _writes);
                batch.ForEach(p => p.Done.TrySetResult());
            }
            catch (Exception exception)
            {
                batch.ForEach(p => p.Done.TrySetException(exception));
            }

            batch.Clear();
        }
    }

    private async Task WriteBatchAsync(List<Pending> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
        await PostgresSql.RunBatchAsync(db,
        [
            new NpgsqlBatchCommand("SELECT set_config('synchronous_commit', 'off', true)"),
            new NpgsqlBatchCommand(
                "DELETE FROM outbox_messages o USING unnest($1, $2) AS d(message_id, consumer_id) WHERE o.inbox_message_id = d.message_id AND o.inbox_consumer_id = d.consumer_id")
            {
                Parameters =
                {
                    new NpgsqlParameter<Guid[]> { TypedValue = batch.Select(p => p.Mark.MessageId).ToArray() },
                    new NpgsqlParameter<Guid[]> { TypedValue = batch.Select(p => p.Mark.ConsumerId).ToArray() },
                },
            },
            new NpgsqlBatchCommand(
                "UPDATE inbox_states i SET delivered = d.delivered, last_sequence_number = d.last_sequence_number FROM unnest($1, $2, $3) AS d(id, delivered, last_sequence_number) WHERE i.id = d.id")
            {
                Parameters =
                {
                    new NpgsqlParameter<long[]> { TypedValue = batch.Select(p => p.Mark.InboxId).ToArray() },
                    new NpgsqlParameter<DateTime[]> { TypedValue = batch.Select(p => p.Mark.Delivered).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz },
                    new NpgsqlParameter<long?[]> { TypedValue = batch.Select(p => p.Mark.LastSequenceNumber).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint },
                },
            },
        ], _ => Task.CompletedTask, CancellationToken.None);
    }

    private sealed record Pending(DeliveryMark Mark, TaskCompletionSource Done);
}
