using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using SQLitePCL;

namespace Pressluft.Messaging.Persistence;

/// <summary>
/// What every connection EF opens to the SQLite ledger sets first.
/// <list type="bullet">
/// <item>SQLite's native <c>busy_timeout</c>. Without it a writer that meets another writer's lock gets SQLITE_BUSY at
/// once and Microsoft.Data.Sqlite retries in managed code after a fixed 150 ms sleep, so one collision costs a message
/// 150 ms. With it SQLite itself waits for the lock in short steps and the writer goes on as soon as the other commits.
/// The limit matches Microsoft.Data.Sqlite's default command timeout (30 s), so how long a writer may wait at most does
/// not change.</item>
/// <item><c>synchronous = NORMAL</c>, which SQLite recommends with write-ahead logging (set on the file by
/// <see cref="LedgerStore.MigrateLedgerAsync"/>): a commit no longer waits for the log to reach the disk; the log is
/// synced at each checkpoint. A crashed or killed service loses nothing it committed (the log is in the kernel's
/// hands) and the file never corrupts. Only a power loss or a kernel crash can take back the last commits since a
/// checkpoint, and the ledger is then as it was a moment earlier, consistent; in this mode the bus's messages in
/// flight are lost on any restart anyway, and the saga's deadlines end a gate that was cut off either way. Measured
/// with the bench: the saga's commit of a new gate 5-6 ms to 3-3.5 ms; the embedded row's p50 12.5 to 10-10.7 ms.</item>
/// <item><c>wal_autocheckpoint</c> raised to <see cref="SqliteCheckpointer.BackstopPages"/>: the log is checkpointed in
/// the background by <see cref="SqliteCheckpointer"/>, not by the commit that happens to fill it.</item>
/// </list>
/// </summary>
public sealed class SqliteConnectionPragmas : DbConnectionInterceptor
{
    public static readonly SqliteConnectionPragmas Instance = new();

    private static readonly string Pragmas =
        $"PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = {SqliteCheckpointer.BackstopPages};";

    // SQLite connections the pool has opened and configured: it keeps them open between uses, settings included, and EF
    // opens one for every statement outside a transaction, so only a new one needs the pragmas.
    private static readonly ConditionalWeakTable<sqlite3, object> Configured = new();

    private static readonly object Yes = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (IsConfigured(connection))
        {
            return;
        }

        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
        MarkConfigured(connection);
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (IsConfigured(connection))
        {
            return;
        }

        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
        MarkConfigured(connection);
    }

    private static bool IsConfigured(DbConnection connection) =>
        connection is SqliteConnection { Handle: { } handle } && Configured.TryGetValue(handle, out _);

    private static void MarkConfigured(DbConnection connection)
    {
        if (connection is SqliteConnection { Handle: { } handle })
        {
            Configured.AddOrUpdate(handle, Yes);
        }
    }
}
