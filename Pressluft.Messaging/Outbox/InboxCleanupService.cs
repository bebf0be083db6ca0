using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Messaging.Outbox;

/// <summary>
/// Deletes inbox rows delivered longer ago than the duplicate-detection window. A duplicate arriving after that is
/// consumed again, and the saga's own guards (job id, attempt, gated mutation ids) make it change nothing.
/// </summary>
public sealed class InboxCleanupService(
    IServiceScopeFactory scopes,
    IOptionsMonitor<OutboxOptions> options,
    TimeProvider clock,
    ILogger<InboxCleanupService> logger) : OutboxBackgroundService(options, clock, logger)
{
    protected override TimeSpan Interval => Options.CurrentValue.CleanupInterval;

    protected override async Task<bool> RunPassAsync(CancellationToken cancellationToken)
    {
        await CleanUpAsync(cancellationToken);
        return false;
    }

    /// <summary>Deletes delivered inbox rows older than the window; returns how many.</summary>
    public async Task<int> CleanUpAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
        var cutoff = Clock.GetUtcNow().UtcDateTime - Options.CurrentValue.DuplicateDetectionWindow;
        var deleted = await db.InboxStates.Where(i => i.Delivered != null && i.Delivered < cutoff).ExecuteDeleteAsync(cancellationToken);
        if (deleted > 0)
        {
            logger.LogDebug("Deleted {Count} inbox rows delivered before {Cutoff:o}", deleted, cutoff);
        }

        return deleted;
    }
}
