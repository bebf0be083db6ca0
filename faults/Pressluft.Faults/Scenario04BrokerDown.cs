namespace Pressluft.Faults;

internal static partial class Scenarios
{
    private static int BrokerDownSeconds(int scale) => Math.Min(60, 15 * scale);

    /// <summary>4: the broker down for a while (a minute at scale 4) while publishers keep publishing.</summary>
    private static async Task<Report> BrokerDownAsync(Stack stack, int scale, CancellationToken cancellationToken)
    {
        var report = new Report(All[3].Injected(scale));
        await using var world = await FaultWorld.CreateAsync(stack, "brokerdown");
        await world.StartReadyRunnerAsync();
        await DeployMixAsync(world, world.AddSites(2 * scale));
        await Task.Delay(1000, cancellationToken);
        await Stack.ScriptAsync("rabbitmq.sh", "stop");
        var down = DateTime.UtcNow;
        // Publishers keep trying, as a deployer with publisher confirms does, until the broker takes their message.
        var waiting = world.AddSites(4 * scale);
        var publishers = Task.WhenAll(waiting.Select(w => world.DeployAsync(w.Site, w.Site.AddRelease("r2", good: w.Site.Number % 3 != 0), w.First,
            w.Site.Number % 3 != 0 ? Expected.Pass : Expected.RollBack, publishWithin: TimeSpan.FromSeconds(BrokerDownSeconds(scale) + 60))));
        var rest = TimeSpan.FromSeconds(BrokerDownSeconds(scale)) - (DateTime.UtcNow - down);
        if (rest > TimeSpan.Zero)
        {
            await Task.Delay(rest, cancellationToken);
        }

        await Stack.ScriptAsync("rabbitmq.sh", "start");
        var back = DateTime.UtcNow;
        await publishers.WaitAsync(TimeSpan.FromSeconds(90), cancellationToken);
        await FinishAsync(world, report, TimeSpan.FromSeconds(60), back, cancellationToken);
        report.Checked += ",runner-reconnected";
        return report;
    }
}
