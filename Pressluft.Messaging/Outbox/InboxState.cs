namespace Pressluft.Messaging.Outbox;

/// <summary>
/// One row per (incoming message id, consumer): whether the message was consumed (its effects committed) and whether
/// what it sent was delivered. A second delivery of a consumed message is not consumed again.
/// </summary>
public sealed class InboxState
{
    public long Id { get; set; }
    public Guid MessageId { get; set; }
    public Guid ConsumerId { get; set; }
    public DateTime Received { get; set; }
    public int ReceiveCount { get; set; }
    public DateTime? Consumed { get; set; }
    public DateTime? Delivered { get; set; }
    public long? LastSequenceNumber { get; set; }
}
