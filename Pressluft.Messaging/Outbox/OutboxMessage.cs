using MassTransit;
using MassTransit.Metadata;
using MassTransit.Middleware;
using MassTransit.Serialization;

namespace Pressluft.Messaging.Outbox;

/// <summary>
/// A message sent while consuming, stored in the same transaction as the consumer's effects. Rows that belong to an
/// inbox message are delivered inline right after the commit; rows with no inbox message are due-time messages
/// (deadlines, retries) that the due-time relay delivers at <see cref="EnqueueTime"/>.
/// </summary>
public sealed class OutboxMessage : OutboxMessageContext
{
    private Headers? _headers;
    private IReadOnlyDictionary<string, object>? _properties;

    public long SequenceNumber { get; set; }

    /// <summary>The incoming message whose consumption sent this one; null for due-time messages.</summary>
    public Guid? InboxMessageId { get; set; }

    public Guid? InboxConsumerId { get; set; }

    /// <summary>When a due-time message may be delivered (UTC).</summary>
    public DateTime? EnqueueTime { get; set; }

    public DateTime SentTime { get; set; }

    public string? Headers { get; set; }

    public string? Properties { get; set; }

    public Guid MessageId { get; set; }

    public Guid? ConversationId { get; set; }

    public Guid? CorrelationId { get; set; }

    public Guid? InitiatorId { get; set; }

    public Guid? RequestId { get; set; }

    public Uri? SourceAddress { get; set; }

    public Uri? DestinationAddress { get; set; }

    public Uri? ResponseAddress { get; set; }

    public Uri? FaultAddress { get; set; }

    public DateTime? ExpirationTime { get; set; }

    public string ContentType { get; set; } = "";

    public string MessageType { get; set; } = "";

    public string Body { get; set; } = "";

    /// <summary>How often the relay tried and failed to deliver it.</summary>
    public int DeliveryAttempts { get; set; }

    public string? LastError { get; set; }

    /// <summary>When the relay gave up on it after too many failed deliveries (UTC); it then stays for an operator to see.</summary>
    public DateTime? GaveUpAt { get; set; }

    Guid? MessageContext.MessageId => MessageId;

    DateTime? MessageContext.SentTime => SentTime;

    Headers MessageContext.Headers => _headers ?? EmptyHeaders.Instance;

    HostInfo MessageContext.Host => HostMetadataCache.Host;

    IReadOnlyDictionary<string, object> OutboxMessageContext.Properties => _properties ?? EmptyProperties;

    private static readonly IReadOnlyDictionary<string, object> EmptyProperties = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Restores headers and transport properties before the row is sent.</summary>
    public void Deserialize(IObjectDeserializer deserializer)
    {
        var headers = deserializer.DeserializeDictionary<object?>(Headers);
        _headers = headers is null ? EmptyHeaders.Instance : new DictionarySendHeaders(headers);
        _properties = deserializer.DeserializeDictionary<object>(Properties) ?? EmptyProperties;
    }
}
