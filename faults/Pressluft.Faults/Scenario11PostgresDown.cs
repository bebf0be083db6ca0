namespace Pressluft.Faults;

internal static partial class Scenarios
{
    private static int PostgresDownSeconds(int scale) => Math.Min(120, 30 * scale);

    /// <summary>
    /// 11: PostgreSQL stopped for a while (30 s; two minutes at scale 4) while gates are in flight, then started: longer
    /// than any one message's retries wait, so the service must hold its messages until the ledger is back, with none in
    /// an error queue.
    /// </summary>
    private static async Task<Report> PostgresDownAsync(Stack stack, int scale, CancellationToken cancellationToken)
    {
        var report = new Report(All[10].Injected(scale));
        await using var world = await FaultWorld.CreateAsync(stack, "postgresdown");
        await world.StartReadyRunnerAsync();
        await DeployMixAsync(world, world.AddSites(4 * scale));
        await AwaitGatesInFlightAsync(world, 1500, cancellationToken);
        var phase = await PhaseAsync(world, cancellationToken);
        await Stack.ScriptAsync("postgres.sh", "stop");
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(PostgresDownSeconds(scale)), cancellationToken);
        }
        finally
        {
            // Started again whatever happens: the scenarios after this one need it.
            await Stack.ScriptAsync("postgres.sh", "start", "--fsync", "off");
        }

        var back = DateTime.UtcNow;
        await FinishAsync(world, report, TimeSpan.FromSeconds(60), back, cancellationToken);
        report.Injected += $" (at the stop: {phase})";
        report.Checked += ",runner-survived";
        return report;
    }
}
