namespace Pressluft.Faults;

internal static partial class Scenarios
{
    /// <summary>3: PostgreSQL restarted with <c>-m immediate</c> (a crash and recovery) during saga transitions.</summary>
    private static async Task<Report> PostgresRestartedAsync(Stack stack, int scale, CancellationToken cancellationToken)
    {
        var report = new Report(All[2].Injected(scale));
        await using var world = await FaultWorld.CreateAsync(stack, "postgres");
        await world.StartReadyRunnerAsync();
        await DeployMixAsync(world, world.AddSites(4 * scale));
        var phases = new List<string>();
        var back = DateTime.UtcNow;
        for (var restart = 0; restart < 2 * scale; restart++)
        {
            await AwaitGatesInFlightAsync(world, 1500, cancellationToken);
            phases.Add(await PhaseAsync(world, cancellationToken));
            await Stack.ScriptAsync("postgres.sh", "crash-restart");
            back = DateTime.UtcNow;
            if (restart == 0)
            {
                await RedeployEndedAsync(world, "p1", 2, cancellationToken);
            }
        }

        await FinishAsync(world, report, TimeSpan.FromSeconds(60), back, cancellationToken);
        report.Injected += $" (at the restarts: {string.Join(", ", phases)})";
        report.Checked += ",runner-survived";
        return report;
    }
}
