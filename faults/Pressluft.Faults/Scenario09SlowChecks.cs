namespace Pressluft.Faults;

internal static partial class Scenarios
{
    /// <summary>9: the case of issue 9: every first attempt of a WP-CLI check runs past its timeout on a busy runner; no healthy release is rolled back.</summary>
    private static async Task<Report> SlowChecksAsync(Stack stack, int scale, CancellationToken cancellationToken)
    {
        var report = new Report(All[8].Injected(scale));
        await using var world = await FaultWorld.CreateAsync(stack, "slow");
        await File.WriteAllTextAsync(Path.Combine(world.SitesRoot, ".wp-slow"), "0.5", cancellationToken);
        await world.StartReadyRunnerAsync(new Dictionary<string, string> { ["Pressluft:Ansible:CheckTimeoutSeconds"] = "3" });
        var sites = world.AddSites(6 * scale);
        foreach (var (site, first) in sites)
        {
            // The first run of each command in a release sleeps past the 3 s per-attempt limit; the retry answers.
            await File.WriteAllTextAsync(Path.Combine(first.Path, ".wp-slow-first"), "5", cancellationToken);
        }

        foreach (var (site, first) in sites)
        {
            var broken = site.Number % 6 == 0;
            var release = site.AddRelease("r2", good: !broken);
            await File.WriteAllTextAsync(Path.Combine(release.Path, ".wp-slow-first"), "5", cancellationToken);
            await world.DeployAsync(site, release, first, broken ? Expected.RollBack : Expected.Pass);
        }

        await FinishAsync(world, report, TimeSpan.FromSeconds(80), null, cancellationToken);
        return report;
    }
}
