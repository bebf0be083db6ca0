using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Pressluft.Messaging.Persistence;

/// <summary>What the statements the ledger builds for PostgreSQL outside EF's queries and saves share.</summary>
internal static class PostgresSql
{
    /// <summary>A table or column name as a quoted identifier.</summary>
    public static string Quoted(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>
    /// Runs <paramref name="commands"/> as one batch on the context's connection, one round trip: in the context's
    /// transaction when one is open, else as one implicit transaction (PostgreSQL runs a batch up to its single Sync as
    /// one). <paramref name="read"/> reads the results it needs; the rest are read through, so an error of the last
    /// statement surfaces here.
    /// </summary>
    public static async Task RunBatchAsync(PressluftDbContext db, IEnumerable<NpgsqlBatchCommand> commands, Func<NpgsqlDataReader, Task> read,
        CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection())
        {
            Transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction(),
        };
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            await read(reader);
            while (await reader.NextResultAsync(cancellationToken))
            {
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
