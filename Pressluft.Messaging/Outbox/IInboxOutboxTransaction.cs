namespace Pressluft.Messaging.Outbox;

/// <summary>
/// Implemented by a consume context whose inbox/outbox owns the message's unit of work: it writes the inbox row, the
/// outgoing messages and every change the saga repository and the ledger staged, in one transaction. Whoever finds it
/// on the context (<c>TryGetPayload</c>) only stages; whoever does not, commits on its own.
/// </summary>
public interface IInboxOutboxTransaction
{
    /// <summary>The message (inbox) this unit of work is for.</summary>
    Guid InboxMessageId { get; }
}
