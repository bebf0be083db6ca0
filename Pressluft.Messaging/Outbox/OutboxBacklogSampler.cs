using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Pressluft.Messaging.Outbox;

/// <summary>
/// Reads the outbox backlog every <see cref="OutboxOptions.SampleInterval"/>, so the <c>Pressluft.Outbox</c> gauges
/// show what is waiting now rather than whatever the last health check saw.
/// </summary>
public sealed class OutboxBacklogSampler(
    OutboxMonitor monitor,
    IOptionsMonitor<OutboxOptions> options,
    TimeProvider clock,
    ILogger<OutboxBacklogSampler> logger) : OutboxBackgroundService(options, clock, logger)
{
    protected override TimeSpan Interval => Options.CurrentValue.SampleInterval;

    protected override async Task<bool> RunPassAsync(CancellationToken cancellationToken)
    {
        await monitor.ReadAsync(cancellationToken);
        return false;
    }
}
