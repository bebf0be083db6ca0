namespace Pressluft.Faults;

internal static partial class Scenarios
{
    /// <summary>6: two, then three runners on the same queues, with superseding deploys on the same environments.</summary>
    private static async Task<Report> CompetingRunnersAsync(Stack stack, int scale, CancellationToken cancellationToken)
    {
        var report = new Report(All[5].Injected(scale));
        await using var world = await FaultWorld.CreateAsync(stack, "compete");
        await File.WriteAllTextAsync(Path.Combine(world.SitesRoot, ".wp-slow"), "0.5", cancellationToken);
        await world.StartReadyRunnerAsync();
        await world.StartReadyRunnerAsync();
        var chains = world.AddSites(3 * scale);
        var single = world.AddSites(scale);
        await DeployMixAsync(world, single, brokenEvery: 1);

        // Each chained site gets three good releases back to back, as fast as a deployer can: each newer deploy may
        // supersede the gate still running; only the last must pass.
        var third = Task.Run(async () =>
        {
            await Task.Delay(1500, cancellationToken);
            return await world.StartReadyRunnerAsync();
        }, cancellationToken);
        for (var step = 2; step <= 4; step++)
        {
            foreach (var (site, first) in chains)
            {
                var previous = world.Mutations.LastOrDefault(m => m.Site == site)?.Release ?? first;
                await world.DeployAsync(site, site.AddRelease($"r{step}", good: true), previous, Expected.Pass, mayBeSuperseded: step < 4);
            }

            await Task.Delay(Random.Shared.Next(200, 1200), cancellationToken);
        }

        await third;
        await FinishAsync(world, report, TimeSpan.FromSeconds(60), null, cancellationToken);
        return report;
    }
}
