using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Pressluft.Messaging.Outbox;

/// <summary>
/// The loop the relay and the clean-up share: one pass, then a pause (skipped when the pass had more to do), errors
/// logged and retried, nothing at all when <see cref="OutboxOptions.RunBackgroundServices"/> is off.
/// </summary>
public abstract class OutboxBackgroundService(IOptionsMonitor<OutboxOptions> options, TimeProvider clock, ILogger logger) : BackgroundService
{
    protected IOptionsMonitor<OutboxOptions> Options { get; } = options;

    protected TimeProvider Clock { get; } = clock;

    /// <summary>How long to wait between passes.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>One pass; returns true when there is more to do right away.</summary>
    protected abstract Task<bool> RunPassAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Options.CurrentValue.RunBackgroundServices)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var more = false;
            try
            {
                more = await RunPassAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                logger.LogWarning(exception, "{Service} pass failed; retrying", GetType().Name);
            }

            if (!more)
            {
                await Task.Delay(Interval, Clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
