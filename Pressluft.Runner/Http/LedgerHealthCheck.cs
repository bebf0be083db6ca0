using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Runner.Http;

/// <summary>Readiness of the ledger: the database answers and its migrations are applied.</summary>
public sealed class LedgerHealthCheck(IServiceScopeFactory scopes) : IHealthCheck
{
    public const string Name = "pressluft-ledger";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
        try
        {
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            return pending.Count == 0
                ? HealthCheckResult.Healthy("ledger answers and is migrated")
                : HealthCheckResult.Unhealthy($"ledger has {pending.Count} pending migrations (run `pressluft migrate`)");
        }
        catch (Exception exception) when (exception is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"ledger unreachable: {exception.Message}");
        }
    }
}
