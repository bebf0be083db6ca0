using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Pressluft.Messaging.Persistence;

/// <summary>
/// Sets SQLite's native <c>busy_timeout</c> on every connection EF opens. Without it a writer that meets another
/// writer's lock gets SQLITE_BUSY at once and Microsoft.Data.Sqlite retries in managed code after a fixed 150 ms sleep,
/// so one collision costs a message 150 ms. With it SQLite itself waits for the lock in short steps and the writer goes
/// on as soon as the other commits. The limit matches Microsoft.Data.Sqlite's default command timeout (30 s), so how
/// long a writer may wait at most does not change.
/// </summary>
public sealed class SqliteBusyTimeout : DbConnectionInterceptor
{
    public static readonly SqliteBusyTimeout Instance = new();

    private const string Pragma = "PRAGMA busy_timeout = 30000;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
