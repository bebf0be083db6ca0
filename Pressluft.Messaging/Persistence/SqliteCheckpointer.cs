using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pressluft.Messaging.Persistence;

/// <summary>
/// Copies the SQLite ledger's write-ahead log into the database file in the background, once a second. Left to SQLite,
/// the commit that takes the log past its checkpoint size (1,000 pages, about 40 gates) does that copy itself, with a
/// sync of the log and one of the file, and its message waits 25-40 ms longer. The connections' own checkpoint size is
/// raised to <see cref="BackstopPages"/> (<see cref="SqliteConnectionPragmas"/>), so a commit checkpoints only when
/// this service falls behind or is not running (a command-line tool, a test without a host).
/// <para>
/// Measured with the bench's embedded row, three alternating runs each of 200 events in the steady state: p99 36.5,
/// 40.2 and 52.4 ms with SQLite's own checkpoints, 20.1, 22.5 and 25.7 ms with this service (p50 10-11 ms in both).
/// Once every 5 or 10 s instead of every second, each checkpoint had more to copy and one event in 200 waited 70-160 ms.
/// </para>
/// <para>
/// The checkpoint is SQLite's passive one: it copies what no reader still needs and never waits for or blocks a
/// writer; what it leaves, the next pass copies.
/// </para>
/// </summary>
public sealed class SqliteCheckpointer(IServiceScopeFactory scopes, TimeProvider clock, ILogger<SqliteCheckpointer> logger) : BackgroundService
{
    /// <summary>The log size (in pages, 4 KiB each) at which a commit checkpoints by itself: about 40 MiB.</summary>
    public const int BackstopPages = 10_000;

    /// <summary>How often the log is copied; a second's log of a busy embedded service is a few hundred pages.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>One passive checkpoint; returns the pages in the log and how many of them are now in the file.</summary>
    public async Task<(long LogPages, long CopiedPages)> CheckpointAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            // One row: whether it was blocked (always 0 for a passive one), the log's pages, the pages now copied.
            return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(1), reader.GetInt64(2)) : (0, 0);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // A second first: off the host's start-up path (SQLite's calls are synchronous), and on a new ledger normally
            // after the migration has created its folder (a pass before that only logs a warning).
            await Task.Delay(Interval, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await CheckpointAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // Never a reason to stop the service: commits checkpoint by themselves at the backstop size meanwhile.
                logger.LogWarning(exception, "Checkpoint of the SQLite ledger failed; retrying");
            }
        }
    }
}
