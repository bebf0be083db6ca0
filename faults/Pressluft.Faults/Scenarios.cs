using Microsoft.EntityFrameworkCore;

namespace Pressluft.Faults;

/// <summary>The ten faults of issue 9, in its order, then PostgreSQL down for longer than a message's retries; and what they share.</summary>
internal static partial class Scenarios
{
    public static IReadOnlyList<Scenario> All { get; } =
    [
        new(1, s => $"kill -9 of the runner {3 * s}x at random moments over {4 * s}+ gates, restarted", TimeSpan.FromSeconds(100), RunnerKilledAsync),
        new(2, s => $"RabbitMQ stopped and started under {4 * s} gates in flight", TimeSpan.FromSeconds(90), BrokerRestartedAsync),
        new(3, s => $"PostgreSQL restarted -m immediate {2 * s}x during saga transitions of {4 * s} gates", TimeSpan.FromSeconds(90), PostgresRestartedAsync),
        new(4, s => $"RabbitMQ down {BrokerDownSeconds(s)} s while {4 * s} publishers publish, {2 * s} gates in flight", TimeSpan.FromSeconds(120), BrokerDownAsync),
        new(5, s => $"backlog of {Backlog(s)} events on a stopped runner, then started", TimeSpan.FromSeconds(240), BacklogAsync),
        new(6, s => $"2 then 3 runners on the same queues, {3 * s} sites x 3 superseding deploys", TimeSpan.FromSeconds(100), CompetingRunnersAsync),
        new(7, s => $"poison messages on every queue of the service ({PoisonKinds} kinds each) among {2 * s} gates", TimeSpan.FromSeconds(90), PoisonAsync),
        new(8, s => $"hung node (accepts, never answers) and unreachable node over ssh, {s} each, beside {s} good", TimeSpan.FromSeconds(120), HungNodesAsync),
        new(9, s => $"{6 * s} gates with every first check attempt slower than its timeout on a loaded node", TimeSpan.FromSeconds(100), SlowChecksAsync),
        new(10, s => $"embedded default (in-memory bus, SQLite) killed -9 {3 * s}x while mutations stream in", TimeSpan.FromSeconds(100), EmbeddedKilledAsync),
        new(11, s => $"PostgreSQL down {PostgresDownSeconds(s)} s under {4 * s} gates in flight", TimeSpan.FromSeconds(100), PostgresDownAsync),
    ];

    /// <summary>Every second site gets a broken release (rolled back to its good first one), the others a good one.</summary>
    private static async Task DeployMixAsync(FaultWorld world, IEnumerable<(Site Site, Release First)> sites, int brokenEvery = 2, string name = "r2",
        TimeSpan? publishWithin = null)
    {
        foreach (var (site, first) in sites)
        {
            var broken = site.Number % brokenEvery == 0;
            await world.DeployAsync(site, site.AddRelease(name, good: !broken), first, broken ? Expected.RollBack : Expected.Pass, publishWithin: publishWithin);
        }
    }

    /// <summary>
    /// Deploys a new release on each site whose gate has ended (so it supersedes nothing), good or broken by turn,
    /// after the release the gate left live.
    /// </summary>
    private static async Task<int> RedeployEndedAsync(FaultWorld world, string name, int max, CancellationToken cancellationToken)
    {
        var ended = await world.TryQueryAsync(db => db.Gates.AsNoTracking().Where(g => g.Outcome != null).Select(g => g.MutationJobId).ToListAsync(cancellationToken)) ?? [];
        var deployed = 0;
        foreach (var site in world.Sites)
        {
            var last = world.Mutations.LastOrDefault(m => m.Site == site);
            if (deployed >= max || last is null || !ended.Contains(last.JobId) || last.Expected == Expected.Hold)
            {
                continue;
            }

            var live = last.Expected == Expected.RollBack ? last.Previous! : last.Release;
            var broken = (site.Number + world.Mutations.Count) % 3 == 0;
            await world.DeployAsync(site, site.AddRelease(name, good: !broken), live, broken ? Expected.RollBack : Expected.Pass);
            deployed++;
        }

        return deployed;
    }

    /// <summary>Waits (up to 30 s) until some gate is in the middle of a step, then a random moment more: where a fault should land.</summary>
    private static async Task AwaitGatesInFlightAsync(FaultWorld world, int maxExtraMilliseconds, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && await PhaseAsync(world, cancellationToken) == "between gates")
        {
            await Task.Delay(100, cancellationToken);
        }

        await Task.Delay(Random.Shared.Next(0, maxExtraMilliseconds), cancellationToken);
    }

    /// <summary>Waits until some saga is in one of <paramref name="states"/> (or the time is up).</summary>
    private static async Task AwaitPhaseAsync(FaultWorld world, string[] states, TimeSpan within, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            var open = await world.TryQueryAsync(db => db.ReleaseLifecycleSagas.AsNoTracking().Where(s => states.Contains(s.CurrentState)).Select(s => s.CorrelationId)
                .ToListAsync(cancellationToken));
            if (open is { Count: > 0 })
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Which saga states are open right now (where a fault lands).</summary>
    private static async Task<string> PhaseAsync(FaultWorld world, CancellationToken cancellationToken)
    {
        var states = await world.TryQueryAsync(db => db.ReleaseLifecycleSagas.AsNoTracking().Select(s => s.CurrentState).ToListAsync(cancellationToken)) ?? [];
        var open = states.Where(s => s is "HealthChecking" or "RollingBack" or "VerifyingRollback").GroupBy(s => s).Select(g => $"{g.Key} {g.Count()}").ToList();
        return open.Count == 0 ? "between gates" : string.Join("+", open);
    }

    /// <summary>After a kill -9 of <paramref name="runner"/>, nothing it started may live on (its playbooks die with it).</summary>
    private static async Task ExpectNoOrphansAsync(RunnerProcess runner, Report report, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        IReadOnlyList<string> left;
        while ((left = runner.Descendants()).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, cancellationToken);
        }

        if (left.Count > 0)
        {
            report.Problems.Add($"{left.Count} processes of a killed runner live on 10 s later: {string.Join(" | ", left.Take(2))}");
        }
    }

    /// <summary>
    /// The common ending: every gate owed must end (recovery counted from <paramref name="recoveryFrom"/>), queues and
    /// outbox drain, the runners stop and leave nothing behind, then every invariant is checked.
    /// </summary>
    private static async Task FinishAsync(FaultWorld world, Report report, TimeSpan gatesWithin, DateTime? recoveryFrom, CancellationToken cancellationToken)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var open = await world.WaitForGatesAsync(gatesWithin, cancellationToken);
        Progress(world, $"gates ended after {watch.Elapsed.TotalSeconds:0.0} s ({open} open)");
        if (open > 0)
        {
            report.Problems.Add($"{open} of {world.Mutations.Count} gates did not end within {gatesWithin.TotalSeconds:0} s");
        }
        else if (recoveryFrom is { } from)
        {
            report.Recovery = DateTime.UtcNow - from;
        }

        foreach (var runner in world.Runners.Where(r => r.HasExited && !r.EndedBySuite))
        {
            report.Problems.Add($"runner {runner.Pid} exited by itself (see {world.LogPath})");
        }

        await world.SettleAsync(TimeSpan.FromSeconds(15), cancellationToken);
        Progress(world, $"settled after {watch.Elapsed.TotalSeconds:0.0} s");
        report.Problems.AddRange(await Invariants.CheckAsync(world, cancellationToken));
        foreach (var runner in world.Runners)
        {
            await runner.StopAsync();
            if (runner.Descendants() is { Count: > 0 } left)
            {
                report.Problems.Add($"a stopped runner left {left.Count} processes: {string.Join(" | ", left.Take(2))}");
            }
        }

        Progress(world, $"checked and stopped after {watch.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>Progress on standard error, so a slow or failing scenario can be followed; the verdict lines stay on standard output.</summary>
    public static void Progress(FaultWorld world, string what) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.f}] {world.Name}: {what}");
}
