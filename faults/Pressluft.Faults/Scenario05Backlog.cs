using Microsoft.EntityFrameworkCore;
using Pressluft.Contracts;

namespace Pressluft.Faults;

internal static partial class Scenarios
{
    // 40 in CI, where the suite must stay within minutes on two shared cores; several hundred with --scale 10.
    private static int Backlog(int scale) => 40 * scale;

    /// <summary>5: a backlog on a stopped runner, then start: every verdict right and no storm (one job per step of each gate).</summary>
    private static async Task<Report> BacklogAsync(Stack stack, int scale, CancellationToken cancellationToken)
    {
        var report = new Report(All[4].Injected(scale));
        await using var world = await FaultWorld.CreateAsync(stack, "backlog");
        // A first start declares the queues and bindings; then the runner is stopped and the events pile up.
        var first = await world.StartReadyRunnerAsync();
        await first.StopAsync();
        await DeployMixAsync(world, world.AddSites(Backlog(scale)), brokenEvery: 10);
        var started = DateTime.UtcNow;
        await world.StartReadyRunnerAsync();
        // A backlog takes its time to work off (about 1.5 s a gate on two busy cores); the verdicts must not change with it.
        await FinishAsync(world, report, TimeSpan.FromSeconds(60 + (3 * Backlog(scale))), started, cancellationToken);

        // No storm: a passing gate runs one check, a rolled-back one a check, a rollback and a re-check; nothing more.
        var jobs = await world.QueryAsync(db => db.Jobs.AsNoTracking().GroupBy(j => j.JobType).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken));
        var checks = jobs.SingleOrDefault(j => j.Key == JobTypes.HealthCheck)?.Count ?? 0;
        var rollbacks = jobs.SingleOrDefault(j => j.Key == JobTypes.ReleaseRollback)?.Count ?? 0;
        var expectedRollbacks = world.Mutations.Count(m => m.Expected == Expected.RollBack);
        var expectedChecks = world.Mutations.Count + expectedRollbacks;
        if (checks != expectedChecks || rollbacks != expectedRollbacks)
        {
            report.Problems.Add($"storm: {checks} health checks and {rollbacks} rollbacks for {world.Mutations.Count} gates (expected {expectedChecks} and {expectedRollbacks})");
        }

        report.Checked += ",no-storm";
        return report;
    }
}
