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
/// Delivers due-time outbox rows (the saga's deadlines and retries) once their time has come, on any transport:
/// RabbitMQ here has no delayed-message exchange. Each pass claims due rows in a transaction, sends them and deletes
/// them before committing; on PostgreSQL <c>FOR UPDATE SKIP LOCKED</c> lets several runners relay without sending a
/// row twice. A row that cannot be sent stays, with its error, and shows up as stuck.
/// </summary>
public sealed class DueMessageRelay(
    IServiceScopeFactory scopes,
    IBus bus,
    IOptionsMonitor<OutboxOptions> options,
    TimeProvider clock,
    ILogger<DueMessageRelay> logger) : OutboxBackgroundService(options, clock, logger)
{
    protected override TimeSpan Interval => Options.CurrentValue.RelayInterval;

    protected override async Task<bool> RunPassAsync(CancellationToken cancellationToken) =>
        await RelayDueAsync(cancellationToken) >= Options.CurrentValue.RelayBatchSize;

    /// <summary>One pass: claims, sends and deletes the rows due now; returns how many were delivered.</summary>
    public async Task<int> RelayDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
        var dialect = LedgerDialect.For(db.Database);
        var now = Clock.GetUtcNow().UtcDateTime;
        var batch = Options.CurrentValue.RelayBatchSize;

        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        var due = await db.OutboxMessages
            .FromSqlRaw(dialect.ClaimDueMessagesSql, now, batch)
            .AsTracking()
            .ToListAsync(cancellationToken);

        var delivered = new List<long>();
        foreach (var message in due)
        {
            try
            {
                message.Deserialize(SystemTextJsonMessageSerializer.Instance);
                var endpoint = await bus.GetSendEndpoint(message.DestinationAddress!);
                await endpoint.Send(new SerializedMessageBody(), new OutboxMessageSendPipe(message, message.DestinationAddress!), cancellationToken);
                delivered.Add(message.SequenceNumber);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Keep the rest of the batch moving; this row stays, with its error, until it goes through.
                message.DeliveryAttempts++;
                message.LastError = exception.Message.Length > 2000 ? exception.Message[..2000] : exception.Message;
                logger.LogWarning(exception, "Due message {MessageId} ({MessageType}) to {Destination} not delivered (attempt {Attempt})",
                    message.MessageId, message.MessageType, message.DestinationAddress, message.DeliveryAttempts);
            }
        }

        db.OutboxMessages.RemoveRange(due.Where(m => delivered.Contains(m.SequenceNumber)));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (delivered.Count > 0)
        {
            logger.LogDebug("Relayed {Count} due messages", delivered.Count);
        }

        return delivered.Count;
    }
}
