namespace Pressluft.Messaging.Persistence;

/// <summary>The SQL that differs between PostgreSQL and SQLite; everything else is the same EF model.</summary>
public sealed class LedgerDialect
{
    private LedgerDialect(bool postgres) => IsPostgres = postgres;

    public static LedgerDialect Postgres { get; } = new(postgres: true);

    public static LedgerDialect Sqlite { get; } = new(postgres: false);

    public bool IsPostgres { get; }

    private const string DueMessages =
        "SELECT * FROM outbox_messages WHERE inbox_message_id IS NULL AND gave_up_at IS NULL AND enqueue_time <= {0} ORDER BY enqueue_time, sequence_number LIMIT {1}";

    private const string Abandoned =
        "SELECT * FROM inbox_states WHERE consumed IS NOT NULL AND delivered IS NULL AND consumed <= {0} ORDER BY consumed LIMIT {1}";

    /// <summary>The abandoned deliveries (parameters: consumed before, batch size), read without claiming.</summary>
    public static string AbandonedDeliveriesSql => Abandoned;

    /// <summary>
    /// Claims due messages for one relay (parameters: now, batch size), the longest due first. PostgreSQL locks the rows
    /// and skips ones another relay holds; SQLite has a single writer (its transactions begin IMMEDIATE), so relays take turns.
    /// </summary>
    public string ClaimDueMessagesSql => IsPostgres ? DueMessages + " FOR UPDATE SKIP LOCKED" : DueMessages;

    /// <summary>
    /// Claims inbox rows consumed before a time (parameter 0) whose outgoing messages were never all delivered (parameter 1:
    /// batch size): the process died between the commit and the delivery.
    /// </summary>
    public string ClaimAbandonedDeliveriesSql => IsPostgres ? Abandoned + " FOR UPDATE SKIP LOCKED" : Abandoned;
}
