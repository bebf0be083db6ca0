using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pressluft.Messaging.Persistence;
using Serilog.Context;

namespace Pressluft.Runner.Hosting;

/// <summary>Applies the ledger's migrations before the bus starts (registered ahead of MassTransit's hosted service).</summary>
public sealed class LedgerMigrator(IServiceProvider services, ILogger<LedgerMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Applying ledger migrations");

        // EF probes a fresh database's history table before creating it and logs the probe's failure as an error;
        // marked, the expected probe stays out of the log (a migration that really fails still stops the start).
        using (LogContext.PushProperty(ExpectedFailureSink.MigratingProperty, true))
        {
            await services.MigrateLedgerAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
