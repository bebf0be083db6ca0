namespace Pressluft.Faults;

internal static partial class Scenarios
{
    /// <summary>1: kill -9 of the runner at random moments (during a check, a rollback, between them), repeated, then restart.</summary>
    private static async Task<Report> RunnerKilledAsync(Stack stack, int scale, CancellationToken cancellationToken)
    {
        var kills = 3 * scale;
        var report = new Report(All[0].Injected(scale));
        await using var world = await FaultWorld.CreateAsync(stack, "kill");
        // Every WP-CLI call takes a second, so a kill often lands inside a check.
        await File.WriteAllTextAsync(Path.Combine(world.SitesRoot, ".wp-slow"), "1", cancellationToken);
        var runner = await world.StartReadyRunnerAsync();
        await DeployMixAsync(world, world.AddSites(4 * scale));
        var phases = new List<string>();
        for (var kill = 0; kill < kills; kill++)
        {
            // The kills land inside a check, inside a rollback or its re-check, and the last one anywhere (between gates too).
            if (kill == kills - 1)
            {
                await Task.Delay(Random.Shared.Next(500, 4000), cancellationToken);
            }
            else if (kill % 2 == 1)
            {
                await AwaitPhaseAsync(world, ["RollingBack", "VerifyingRollback"], TimeSpan.FromSeconds(45), cancellationToken);
                await Task.Delay(Random.Shared.Next(0, 800), cancellationToken);
            }
            else
            {
                await AwaitGatesInFlightAsync(world, 3000, cancellationToken);
            }

            phases.Add(await PhaseAsync(world, cancellationToken));
            await runner.KillAsync();
            await ExpectNoOrphansAsync(runner, report, cancellationToken);
            runner = await world.StartReadyRunnerAsync();
            // Fresh gates on sites whose gate ended, so later kills land in new checks and rollbacks too.
            await RedeployEndedAsync(world, $"k{kill}", 2, cancellationToken);
        }

        var restarted = DateTime.UtcNow;
        await FinishAsync(world, report, TimeSpan.FromSeconds(75), restarted, cancellationToken);
        report.Injected += $" (at the kills: {string.Join(", ", phases)}; {world.Mutations.Count} gates)";
        return report;
    }
}
