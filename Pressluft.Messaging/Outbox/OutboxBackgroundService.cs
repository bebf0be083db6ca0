using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Pressluft.Messaging.Outbox;

/// <summary>
/// The loop the relay and the clean-up share: one pass, then a pause (skipped when the pass had more to do), errors
/// logged and retried, nothing at all when <see cref="OutboxOptions.RunBackgroundServices"/> is off. A run of failures
/// (the ledger away for a minute) is logged when it starts, every <see cref="RepeatFailureAfter"/> while it lasts and
/// when it ends, not at every pass.
/// </summary>
public abstract class OutboxBackgroundService(IOptionsMonitor<OutboxOptions> options, TimeProvider clock, ILogger logger) : BackgroundService
{
    protected IOptionsMonitor<OutboxOptions> Options { get; } = options;

    protected TimeProvider Clock { get; } = clock;

    /// <summary>How often a run of failed passes is logged again while it lasts.</summary>
    public static readonly TimeSpan RepeatFailureAfter = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait between passes.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>
    /// Waits until the next pass is due: <see cref="Interval"/> unless the service knows better (after a pass that
    /// failed when <paramref name="lastPassFailed"/>). Returns, without throwing, when <paramref name="stoppingToken"/> is
    /// cancelled.
    /// </summary>
    protected virtual Task WaitForNextPassAsync(bool lastPassFailed, CancellationToken stoppingToken) =>
        Task.Delay(Interval, Clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);

    /// <summary>One pass; returns true when there is more to do right away.</summary>
    protected abstract Task<bool> RunPassAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Options.CurrentValue.RunBackgroundServices)
        {
            return;
        }

        var failed = 0;
        DateTimeOffset failingSince = default, loggedAt = default;
        while (!stoppingToken.IsCancellationRequested)
        {
            var more = false;
            try
            {
                more = await RunPassAsync(stoppingToken);
                if (failed > 0)
                {
                    logger.LogInformation("{Service} passes work again, after {Failed} failed passes in {Seconds:0} s", GetType().Name, failed,
                        (Clock.GetUtcNow() - failingSince).TotalSeconds);
                    failed = 0;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                var now = Clock.GetUtcNow();
                if (failed++ == 0)
                {
                    failingSince = now;
                    loggedAt = now;
                    logger.LogWarning(exception, "{Service} pass failed; retrying", GetType().Name);
                }
                else if (now - loggedAt >= RepeatFailureAfter)
                {
                    loggedAt = now;
                    logger.LogWarning(exception, "{Service} passes still fail ({Failed} in {Seconds:0} s); retrying", GetType().Name, failed,
                        (now - failingSince).TotalSeconds);
                }
            }

            if (!more)
            {
                await WaitForNextPassAsync(lastPassFailed: failed > 0, stoppingToken);
            }
        }
    }
}
