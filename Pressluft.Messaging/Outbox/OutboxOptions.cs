using System.ComponentModel.DataAnnotations;

namespace Pressluft.Messaging.Outbox;

/// <summary><c>Pressluft:Outbox</c>: the due-time relay, inbox clean-up, stuck-message threshold and backlog sampling.</summary>
public sealed class OutboxOptions
{
    public const string SectionName = "Pressluft:Outbox";

    /// <summary>
    /// The longest the relay waits before it looks for due messages again. A due message this process commits wakes it
    /// at its due time; this bounds how late it finds one another runner committed (if that runner dies), and how soon
    /// it delivers what a process that died between its commit and its delivery left.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan RelayInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most due messages one relay pass claims.</summary>
    [Range(1, 1000)]
    public int RelayBatchSize { get; set; } = 100;

    /// <summary>How often the relay tries a message it cannot deliver (backing off between tries) before it gives up on it.</summary>
    [Range(1, 100)]
    public int MaxDeliveryAttempts { get; set; } = 10;

    /// <summary>
    /// Outgoing messages of a message consumed this long ago and still not delivered are delivered by the relay: the
    /// process that committed them died before it could (on RabbitMQ the broker redelivers too; the inbox keeps it once).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan AbandonedDeliveryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a delivered inbox row is kept to recognise a redelivered duplicate.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan DuplicateDetectionWindow { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often delivered inbox rows older than the window are deleted.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>An outgoing message undelivered for longer than this is reported as stuck.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the backlog gauges (<c>pressluft.outbox.*</c>) are refreshed from the database.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Whether the relay and clean-up run in this process (one or more runners may run them; PostgreSQL keeps them apart).</summary>
    public bool RunBackgroundServices { get; set; } = true;
}
