using System.Data;
using MassTransit;
using MassTransit.Middleware;
using MassTransit.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Messaging.Outbox;

/// <summary>
/// Delivers what the inline delivery after a commit did not: due-time rows (the saga's deadlines and retries) once their
/// time has come, on any transport (RabbitMQ here has no delayed-message exchange), and the outgoing messages of a
/// message whose process died between its commit and their delivery. Each pass claims rows in a transaction, sends them
/// and deletes them before committing; on PostgreSQL <c>FOR UPDATE SKIP LOCKED</c> lets several runners relay without
/// sending a row twice. A row that cannot be sent is tried again later, backing off, so it never holds up the rows behind
/// it; after <see cref="OutboxOptions.MaxDeliveryAttempts"/> the relay gives up on it and leaves it, with its error, for an
/// operator (it shows up as stuck). Between passes it sleeps until the earliest due row it saw, or one this process commits
/// later (<see cref="DueMessageSignal"/>), falls due, and looks again after <see cref="OutboxOptions.RelayInterval"/> at the
/// latest, for rows other runners committed and deliveries a dead process left: an idle runner does not query the ledger
/// twice a second.
/// </summary>
public sealed class DueMessageRelay(
    IServiceScopeFactory scopes,
    IBus bus,
    DueMessageSignal signal,
    IOptionsMonitor<OutboxOptions> options,
    TimeProvider clock,
    ILogger<DueMessageRelay> logger) : OutboxBackgroundService(options, clock, logger)
{
    private static readonly TimeSpan HeldElsewhereWait = TimeSpan.FromMilliseconds(500);

    // After a failed pass (the ledger away, read-only, full), the least wait before the next, whatever is due meanwhile.
    private static readonly TimeSpan FailedPassWait = TimeSpan.FromSeconds(1);

    // The earliest due time of the rows waiting, as the last look found it; null when unknown (no look yet, or it failed).
    private DateTime? _nextDue;

    protected override TimeSpan Interval => Options.CurrentValue.RelayInterval;

    protected override async Task<bool> RunPassAsync(CancellationToken cancellationToken)
    {
        // What this process commits from now on, it tells the signal; what it committed before, this pass finds.
        var told = signal.Take();
        _nextDue = null;
        try
        {
            var due = await RelayDueAsync(cancellationToken);
            var abandoned = await DeliverAbandonedAsync(cancellationToken);
            return due >= Options.CurrentValue.RelayBatchSize || abandoned >= Options.CurrentValue.RelayBatchSize;
        }
        catch
        {
            // The next pass must still look for what this one was told of.
            signal.Committed(told);
            throw;
        }
    }

    protected override async Task WaitForNextPassAsync(bool lastPassFailed, CancellationToken stoppingToken)
    {
        var start = Clock.GetUtcNow().UtcDateTime;
        var nextLook = start + Interval;
        // A failed pass is not tried again at once, even with rows overdue: it would query a ledger in trouble in a loop.
        var notBefore = lastPassFailed ? start + (FailedPassWait < Interval ? FailedPassWait : Interval) : start;
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = Clock.GetUtcNow().UtcDateTime;
            var (earliest, told) = signal.Peek();
            var wake = new[] { nextLook, _nextDue ?? DateTime.MaxValue, earliest }.Min();
            wake = wake < notBefore ? notBefore : wake;
            if (wake <= now)
            {
                return;
            }

            // Rounded up, and a millisecond more: a timer that fires a little early would find nothing due yet and look
            // again at once.
            using var wakeEarly = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var sleep = Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling((wake - now).TotalMilliseconds) + 1), Clock, wakeEarly.Token);
            var first = await Task.WhenAny(sleep, told);
            await wakeEarly.CancelAsync();
            if (first == sleep)
            {
                return;
            }
        }
    }

    /// <summary>One pass: claims, sends and deletes the rows due now; returns how many were delivered.</summary>
    public async Task<int> RelayDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
        var settings = Options.CurrentValue;
        var now = Clock.GetUtcNow().UtcDateTime;

        // Looked at first without a transaction: on SQLite a transaction takes the single write lock at once, and a gate
        // committing meanwhile would wait for a pass that had nothing to do.
        var next = await NextDueAsync(db, cancellationToken);
        _nextDue = next;
        if (next is null || next > now)
        {
            return 0;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        var due = await db.OutboxMessages
            .FromSqlRaw(db.Dialect.ClaimDueMessagesSql, now, settings.RelayBatchSize)
            .AsTracking()
            .ToListAsync(cancellationToken);

        var delivered = 0;
        foreach (var message in due)
        {
            // A due-time message goes to the saga's own queue on the bus running now: an address stored under another
            // broker, or the embedded default's loopback, still arrives.
            if (await TrySendAsync(message, m => new Uri($"queue:{m.DestinationAddress!.Segments[^1]}"), cancellationToken))
            {
                db.OutboxMessages.Remove(message);
                delivered++;
            }
            else
            {
                BackOff(message, now, settings);
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        _nextDue = await NextDueAsync(db, cancellationToken);
        if (due.Count == 0 && _nextDue <= now)
        {
            // Due, yet none claimed: another runner's relay holds those rows while it sends them. Not again at once.
            _nextDue = now + HeldElsewhereWait;
        }

        if (delivered > 0)
        {
            logger.LogDebug("Relayed {Count} due messages", delivered);
        }

        return delivered;
    }

    /// <summary>
    /// One pass over messages consumed longer ago than <see cref="OutboxOptions.AbandonedDeliveryAfter"/> whose outgoing
    /// messages were never all delivered: sends what is left, in order, and marks them delivered; returns how many.
    /// </summary>
    public async Task<int> DeliverAbandonedAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
        var settings = Options.CurrentValue;
        var before = Clock.GetUtcNow().UtcDateTime - settings.AbandonedDeliveryAfter;

        if (!await db.InboxStates.FromSqlRaw(LedgerDialect.AbandonedDeliveriesSql, before, 1).AnyAsync(cancellationToken))
        {
            return 0;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        var inboxes = await db.InboxStates
            .FromSqlRaw(db.Dialect.ClaimAbandonedDeliveriesSql, before, settings.RelayBatchSize)
            .AsTracking()
            .ToListAsync(cancellationToken);

        var finished = 0;
        foreach (var inbox in inboxes)
        {
            var rows = await db.OutboxMessages
                .Where(m => m.InboxMessageId == inbox.MessageId && m.InboxConsumerId == inbox.ConsumerId && m.SequenceNumber > (inbox.LastSequenceNumber ?? 0))
                .OrderBy(m => m.SequenceNumber)
                .ToListAsync(cancellationToken);
            var sent = 0;
            foreach (var row in rows)
            {
                if (!await TrySendAsync(row, m => m.DestinationAddress!, cancellationToken))
                {
                    break;
                }

                inbox.LastSequenceNumber = row.SequenceNumber;
                db.OutboxMessages.Remove(row);
                sent++;
            }

            if (sent == rows.Count)
            {
                inbox.Delivered = Clock.GetUtcNow().UtcDateTime;
                finished++;
                logger.LogWarning("Delivered {Count} outgoing messages of message {MessageId}, consumed at {Consumed:o} by a process that stopped before sending them",
                    sent, inbox.MessageId, inbox.Consumed);
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return finished;
    }

    // The earliest due time of the due-time rows not given up on; null when there are none.
    private static Task<DateTime?> NextDueAsync(PressluftDbContext db, CancellationToken cancellationToken) =>
        db.OutboxMessages.AsNoTracking()
            .Where(m => m.InboxMessageId == null && m.GaveUpAt == null && m.EnqueueTime != null)
            .OrderBy(m => m.EnqueueTime)
            .Select(m => m.EnqueueTime)
            .FirstOrDefaultAsync(cancellationToken);

    // The address is worked out inside the try too: a row without a usable one backs off like any undeliverable row
    // instead of failing every pass, and the rows behind it with it.
    private async Task<bool> TrySendAsync(OutboxMessage message, Func<OutboxMessage, Uri> address, CancellationToken cancellationToken)
    {
        Uri? destination = null;
        try
        {
            destination = address(message);
            message.Deserialize(SystemTextJsonMessageSerializer.Instance);
            var endpoint = await bus.GetSendEndpoint(destination);
            await endpoint.Send(new SerializedMessageBody(), new OutboxMessageSendPipe(message, destination), cancellationToken);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            message.DeliveryAttempts++;
            message.LastError = exception.Message.Length > 2000 ? exception.Message[..2000] : exception.Message;
            logger.LogWarning("Outgoing message {MessageId} ({MessageType}) to {Destination} not delivered (attempt {Attempt}): {Reason}",
                message.MessageId, message.MessageType, destination ?? message.DestinationAddress, message.DeliveryAttempts, exception.Message);
            return false;
        }
    }

    // Tried again after 1, 2, 4 ... seconds (at most 5 minutes), so rows behind it go first; given up after the limit.
    private void BackOff(OutboxMessage message, DateTime now, OutboxOptions settings)
    {
        if (message.DeliveryAttempts >= settings.MaxDeliveryAttempts)
        {
            message.GaveUpAt = now;
            logger.LogError("Gave up on due message {MessageId} ({MessageType}) to {Destination} after {Attempts} attempts: {Error}",
                message.MessageId, message.MessageType, message.DestinationAddress, message.DeliveryAttempts, message.LastError);
            return;
        }

        message.EnqueueTime = now + TimeSpan.FromSeconds(Math.Min(300, Math.Pow(2, message.DeliveryAttempts - 1)));
    }
}
