using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Runner.Hosting;

/// <summary>Applies the ledger's migrations before the bus starts (registered ahead of MassTransit's hosted service).</summary>
public sealed class LedgerMigrator(IServiceProvider services, ILogger<LedgerMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Applying ledger migrations");
        await services.MigrateLedgerAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
