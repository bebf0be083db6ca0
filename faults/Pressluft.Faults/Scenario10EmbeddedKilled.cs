namespace Pressluft.Faults;

internal static partial class Scenarios
{
    /// <summary>
    /// 10: the embedded default (in-memory bus, SQLite) killed -9 just after it accepted mutations: while it commits
    /// and delivers what they set off. Nothing accepted may be lost on restart.
    /// </summary>
    private static async Task<Report> EmbeddedKilledAsync(Stack stack, int scale, CancellationToken cancellationToken)
    {
        var report = new Report(All[9].Injected(scale));
        await using var world = await FaultWorld.CreateAsync(stack, "embedded", embedded: true);
        var runner = await world.StartReadyRunnerAsync();
        await DeployMixAsync(world, world.AddSites(4 * scale));
        var phases = new List<string>();
        for (var kill = 0; kill < 3 * scale; kill++)
        {
            // The first kill right after the intake accepted (202), the second while gates are in a step, the rest at random.
            switch (kill)
            {
                case 0:
                    await Task.Delay(Random.Shared.Next(5, 300), cancellationToken);
                    break;
                case 1:
                    await AwaitGatesInFlightAsync(world, 1000, cancellationToken);
                    break;
                default:
                    await Task.Delay(Random.Shared.Next(5, 3000), cancellationToken);
                    break;
            }

            await runner.KillAsync();
            phases.Add(await PhaseAsync(world, cancellationToken));
            await ExpectNoOrphansAsync(runner, report, cancellationToken);
            runner = await world.StartReadyRunnerAsync();
            // New mutations on sites whose gate ended, and on fresh sites, so every kill has accepted work to lose.
            await RedeployEndedAsync(world, $"e{kill}", 4 * scale, cancellationToken);
            await DeployMixAsync(world, world.AddSites(scale));
        }

        var restarted = DateTime.UtcNow;
        await FinishAsync(world, report, TimeSpan.FromSeconds(75), restarted, cancellationToken);
        report.Injected += $" (after the kills: {string.Join(", ", phases)}; {world.Mutations.Count} gates)";
        return report;
    }
}
