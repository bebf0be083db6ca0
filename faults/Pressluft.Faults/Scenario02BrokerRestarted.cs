namespace Pressluft.Faults;

internal static partial class Scenarios
{
    /// <summary>2: RabbitMQ stopped and started while gates are in flight; the runner reconnects by itself.</summary>
    private static async Task<Report> BrokerRestartedAsync(Stack stack, int scale, CancellationToken cancellationToken)
    {
        var report = new Report(All[1].Injected(scale));
        await using var world = await FaultWorld.CreateAsync(stack, "broker");
        await File.WriteAllTextAsync(Path.Combine(world.SitesRoot, ".wp-slow"), "1", cancellationToken);
        await world.StartReadyRunnerAsync();
        await DeployMixAsync(world, world.AddSites(4 * scale));
        await AwaitGatesInFlightAsync(world, 1500, cancellationToken);
        var phase = await PhaseAsync(world, cancellationToken);
        await Stack.ScriptAsync("rabbitmq.sh", "stop");
        await Task.Delay(2000, cancellationToken);
        await Stack.ScriptAsync("rabbitmq.sh", "start");
        var back = DateTime.UtcNow;
        await FinishAsync(world, report, TimeSpan.FromSeconds(60), back, cancellationToken);
        report.Injected += $" (at the stop: {phase})";
        report.Checked += ",runner-reconnected";
        return report;
    }
}
