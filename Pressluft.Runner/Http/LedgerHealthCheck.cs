using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Runner.Http;

/// <summary>
/// Readiness of the ledger: the database answers and every migration is applied. It asks with plain ADO.NET on the
/// ledger's connection, so a database that is down is one unhealthy answer naming where it is, not an EF error event
/// with a stack trace on every probe.
/// </summary>
public sealed class LedgerHealthCheck(IServiceScopeFactory scopes) : IHealthCheck
{
    public const string Name = "pressluft-ledger";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
        var connection = db.Database.GetDbConnection();
        var where = Where(connection);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT migration_id FROM ef_migrations_history";
            var applied = new HashSet<string>(StringComparer.Ordinal);
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied.Add(reader.GetString(0));
                }
            }

            var pending = db.Database.GetMigrations().Count(m => !applied.Contains(m));
            return pending == 0
                ? HealthCheckResult.Healthy($"ledger at {where} answers and is migrated")
                : HealthCheckResult.Unhealthy($"ledger at {where} has {pending} pending migrations (run `pressluft migrate`)");
        }
        catch (DbException exception)
        {
            return HealthCheckResult.Unhealthy($"ledger at {where} unreachable or not migrated: {exception.Message}");
        }
        finally
        {
            await connection.CloseAsync();
        }
    }

    private static string Where(DbConnection connection) => connection is NpgsqlConnection
        ? new NpgsqlConnectionStringBuilder(connection.ConnectionString) is var postgres ? $"{postgres.Host}:{postgres.Port}/{postgres.Database}" : ""
        : connection.DataSource;
}
