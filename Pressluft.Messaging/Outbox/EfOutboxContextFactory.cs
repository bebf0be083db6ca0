using System.Security.Cryptography;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Messaging.Outbox;

/// <summary>
/// Runs one incoming message through MassTransit core's inbox/outbox protocol on the ledger database. The inbox row
/// for (message id, consumer) says whether it was already consumed (then only its undelivered messages are sent)
/// and whether it was delivered (then nothing happens). Two commits per message that sends anything, one otherwise.
/// </summary>
public sealed class EfOutboxContextFactory(PressluftDbContext db, IServiceProvider provider)
    : IOutboxContextFactory<PressluftDbContext>
{
    public async Task Send<T>(ConsumeContext<T> context, OutboxConsumeOptions options, IPipe<OutboxConsumeContext<T>> next)
        where T : class
    {
        var messageId = InboxMessageId(context);
        var readFirst = ReadInboxFirst(context);
        var inbox = (readFirst ? await KeyLookup.InboxRowAsync(db, messageId, options.ConsumerId, context.CancellationToken) : null)
            ?? new InboxState { MessageId = messageId, ConsumerId = options.ConsumerId, Received = DateTime.UtcNow };

        var outboxContext = new EfOutboxConsumeContext<T>(context, options, provider, db, inbox, provider.GetServices<ICommitParticipant>().ToList(),
            provider.GetRequiredService<DueMessageSignal>(), provider.GetRequiredService<DeliveryMarks>());
        try
        {
            while (outboxContext.ContinueProcessing)
            {
                await next.Send(outboxContext);
            }
        }
        catch
        {
            db.ChangeTracker.Clear();
            try
            {
                await outboxContext.SaveDeliveryProgressAsync();
            }
            catch (Exception secondary) when (secondary is System.Data.Common.DbException or InvalidOperationException or OperationCanceledException)
            {
                // Best effort: without it a redelivery sends the delivered messages again, and receivers de-duplicate them.
            }

            // A copy of a consumed message that ran without reading its inbox row failed (on the inbox's key, or on
            // anything else, a rejection included): its retry reads the row and finishes it as a copy. Not while stopping.
            if (!readFirst && !context.CancellationToken.IsCancellationRequested && await ConsumedAlreadyAsync(messageId, options.ConsumerId) is true)
            {
                throw new CopyOfConsumedMessageException(messageId);
            }

            throw;
        }
    }

    // Whether the inbox holds the message as consumed; null when that cannot be read now.
    private async Task<bool?> ConsumedAlreadyAsync(Guid messageId, Guid consumerId)
    {
        try
        {
            return await KeyLookup.InboxRowAsync(db, messageId, consumerId, CancellationToken.None) is { Consumed: not null };
        }
        catch (Exception exception) when (exception is System.Data.Common.DbException or InvalidOperationException)
        {
            return null;
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("efOutboxContextFactory");

    // Whether the inbox row must be read before the message runs. Not on an endpoint whose consumers change only the unit
    // of work, the first time the transport delivers the message: nearly every message is new, and the commit's insert of
    // the inbox row catches one that is not (then a retry, which reads it).
    private static bool ReadInboxFirst(ConsumeContext context) =>
        !context.TryGetPayload<OnlyUnitOfWork>(out _) || context.ReceiveContext.Redelivered || context.GetRedeliveryCount() > 0
        || context.GetRetryAttempt() > 0;

    /// <summary>
    /// The id a message is de-duplicated by: its original message id. A publisher that is not MassTransit may send none;
    /// the body's hash stands in for one, so the same bytes delivered twice are still consumed once.
    /// </summary>
    public static Guid InboxMessageId(ConsumeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.GetOriginalMessageId() ?? new Guid(SHA256.HashData(context.ReceiveContext.Body.GetBytes()).AsSpan(0, 16));
    }
}

/// <summary>
/// A copy of a message the endpoint has consumed already failed on a first delivery that did not read its inbox row; the
/// endpoint's retry reads the row and finishes the copy (only undelivered messages are sent, nothing runs again).
/// </summary>
public sealed class CopyOfConsumedMessageException(Guid messageId)
    : Exception($"Message {messageId} was consumed already; its copy is retried to finish from its inbox row");
