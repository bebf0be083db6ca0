using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Messaging.Outbox;

/// <summary>What is waiting in the outbox: messages consumed but not delivered, and due-time messages past due.</summary>
public sealed record OutboxBacklog(int Undelivered, int StuckUndelivered, int Due, int StuckDue, int FailingDue, DateTime? Oldest)
{
    public bool IsStuck => StuckUndelivered > 0 || StuckDue > 0;
}

/// <summary>
/// Reads the outbox backlog for operators: a health check (<c>pressluft-outbox</c>, degraded when something is stuck)
/// and gauges on the meter <c>Pressluft.Outbox</c> (refreshed by <see cref="OutboxBacklogSampler"/>).
/// </summary>
public sealed class OutboxMonitor : IHealthCheck, IDisposable
{
    public const string MeterName = "Pressluft.Outbox";

    private readonly IServiceScopeFactory _scopes;
    private readonly IOptionsMonitor<OutboxOptions> _options;
    private readonly TimeProvider _clock;
    private readonly Meter _meter = new(MeterName);
    private OutboxBacklog _last = new(0, 0, 0, 0, 0, null);

    public OutboxMonitor(IServiceScopeFactory scopes, IOptionsMonitor<OutboxOptions> options, TimeProvider clock)
    {
        _scopes = scopes;
        _options = options;
        _clock = clock;
        _meter.CreateObservableGauge("pressluft.outbox.undelivered", () => _last.Undelivered);
        _meter.CreateObservableGauge("pressluft.outbox.stuck", () => _last.StuckUndelivered + _last.StuckDue);
        _meter.CreateObservableGauge("pressluft.outbox.due", () => _last.Due);
        _meter.CreateObservableGauge("pressluft.outbox.failing", () => _last.FailingDue);
        _meter.CreateObservableGauge("pressluft.outbox.oldest_age", OldestAge, unit: "s",
            description: "How long the oldest undelivered or past-due outgoing message has waited (0 when none)");
    }

    private double OldestAge() =>
        _last.Oldest is { } oldest ? Math.Max(0, (_clock.GetUtcNow().UtcDateTime - DateTime.SpecifyKind(oldest, DateTimeKind.Utc)).TotalSeconds) : 0;

    public async Task<OutboxBacklog> ReadAsync(CancellationToken cancellationToken)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
        var now = _clock.GetUtcNow().UtcDateTime;
        var stuckBefore = now - _options.CurrentValue.StuckAfter;

        var undelivered = db.InboxStates.AsNoTracking().Where(i => i.Consumed != null && i.Delivered == null);
        var due = db.OutboxMessages.AsNoTracking().Where(m => m.InboxMessageId == null);
        var oldestInbox = await undelivered.OrderBy(i => i.Consumed).Select(i => i.Consumed).FirstOrDefaultAsync(cancellationToken);
        var oldestDue = await due.Where(m => m.EnqueueTime <= now).OrderBy(m => m.EnqueueTime).Select(m => m.EnqueueTime).FirstOrDefaultAsync(cancellationToken);
        _last = new OutboxBacklog(
            await undelivered.CountAsync(cancellationToken),
            await undelivered.CountAsync(i => i.Consumed < stuckBefore, cancellationToken),
            await due.CountAsync(cancellationToken),
            await due.CountAsync(m => m.EnqueueTime < stuckBefore, cancellationToken),
            await due.CountAsync(m => m.DeliveryAttempts > 0, cancellationToken),
            new[] { oldestInbox, oldestDue }.Where(t => t is not null).Min());
        return _last;
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var backlog = await ReadAsync(cancellationToken);
        var data = new Dictionary<string, object>
        {
            ["undelivered"] = backlog.Undelivered,
            ["stuckUndelivered"] = backlog.StuckUndelivered,
            ["due"] = backlog.Due,
            ["stuckDue"] = backlog.StuckDue,
            ["failingDue"] = backlog.FailingDue,
        };
        if (backlog.Oldest is { } oldest)
        {
            data["oldest"] = oldest;
        }
        return backlog.IsStuck
            ? HealthCheckResult.Degraded(
                $"{backlog.StuckUndelivered + backlog.StuckDue} outgoing messages undelivered for more than {_options.CurrentValue.StuckAfter}", data: data)
            : HealthCheckResult.Healthy("outbox is moving", data);
    }

    public void Dispose() => _meter.Dispose();
}
