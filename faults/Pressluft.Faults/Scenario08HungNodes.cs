using Microsoft.EntityFrameworkCore;

namespace Pressluft.Faults;

internal static partial class Scenarios
{
    /// <summary>
    /// 8: a node that accepts and never answers, and one nobody listens on, reached over ssh as production nodes are: each
    /// gate ends within its limits with an inconclusive code, the release is not judged, nothing of the playbook is left.
    /// </summary>
    private static async Task<Report> HungNodesAsync(Stack stack, int scale, CancellationToken cancellationToken)
    {
        var report = new Report(All[7].Injected(scale).Replace($", beside {scale} good", "", StringComparison.Ordinal));
        await using var world = await FaultWorld.CreateAsync(stack, "hung");
        var playbookTimeout = TimeSpan.FromSeconds(20);
        var runner = await world.StartReadyRunnerAsync(new Dictionary<string, string>
        {
            ["Pressluft:Ansible:Connection"] = "ssh",
            ["Pressluft:Ansible:HealthCheckPlaybookTimeout"] = playbookTimeout.ToString(),
        });
        var hung = Enumerable.Range(0, scale).Select(_ => new HungNode()).ToList();
        try
        {
            var nodes = hung.Select(h => h.Port).Concat(Enumerable.Range(0, scale).Select(_ => SiteServer.FreePort())).ToList();
            var published = DateTime.UtcNow;
            foreach (var port in nodes)
            {
                var site = new Site(world.SitesRoot, world.Sites.Count + 1) { NodeHost = "127.0.0.1", NodePort = port };
                site.Url = world.Server.UrlOf(site);
                world.Sites.Add(site);
                var first = site.AddRelease("r1", good: true);
                site.MakeCurrent(first);
                await world.DeployAsync(site, site.AddRelease("r2", good: true), first, Expected.Hold);
            }

            // Each attempt is bounded by the playbook timeout; one inconclusive retry after a second; slack for the runs.
            var bound = 2 * playbookTimeout + TimeSpan.FromSeconds(25);
            await FinishAsync(world, report, bound + TimeSpan.FromSeconds(10), null, cancellationToken);
            var durations = await world.QueryAsync(db => db.Gates.AsNoTracking().Where(g => g.CompletedAt != null).Select(g => g.CompletedAt!.Value).ToListAsync(cancellationToken));
            var slowest = durations.Count == 0 ? TimeSpan.Zero : durations.Max() - published;
            if (slowest > bound)
            {
                report.Problems.Add($"the slowest gate took {slowest.TotalSeconds:0} s, more than the {bound.TotalSeconds:0} s its limits allow");
            }

            report.Injected += $" (slowest gate {slowest.TotalSeconds:0} s of {bound.TotalSeconds:0} s allowed)";
            report.Checked += ",time-bound,process-tree-gone,inconclusive-code";
            return report;
        }
        finally
        {
            hung.ForEach(h => h.Dispose());
        }
    }
}
