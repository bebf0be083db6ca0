namespace Pressluft.Messaging.Outbox;

/// <summary>
/// Per message scope: who commits. While the inbox/outbox owns the message, the saga repository and the ledger only
/// stage their changes, and the outbox writes them with its inbox row and outgoing messages in one transaction.
/// </summary>
public sealed class MessageUnitOfWork
{
    public bool OutboxCommits { get; set; }
}
