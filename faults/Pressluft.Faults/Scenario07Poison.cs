using System.Text;
using RabbitMQ.Client;

namespace Pressluft.Faults;

internal static partial class Scenarios
{
    private const int PoisonKinds = 4;

    /// <summary>7: poison on every queue the service consumes; each must land in an error queue and nothing else change.</summary>
    private static async Task<Report> PoisonAsync(Stack stack, int scale, CancellationToken cancellationToken)
    {
        var report = new Report(All[6].Injected(scale));
        await using var world = await FaultWorld.CreateAsync(stack, "poison");
        await world.StartReadyRunnerAsync();
        await DeployMixAsync(world, world.AddSites(2 * scale));
        var queues = (await stack.QueueNamesAsync(world.Vhost!)).Where(q => !FaultWorld.IsDeadLetter(q)).ToList();
        var poisons = new[]
        {
            ("application/json", "this is not JSON {"),
            ("application/json", "[1, 2, 3]"),
            ("application/json", """{"mutationJobId":"not-a-uuid","environmentId":12,"jobId":{"nested":true}}"""),
            // A mutation that tries to leave the sites root: valid JSON, refused by validation.
            ("application/json", $$"""{"mutationJobId":"{{Guid.NewGuid()}}","jobType":"env_deploy","siteId":"{{Guid.NewGuid()}}","environmentId":"{{Guid.NewGuid()}}","release":{"id":"{{Guid.NewGuid()}}","path":"{{world.SitesRoot}}/../../etc"},"environmentUrl":"file:///etc/passwd","completedAt":"{{DateTimeOffset.UtcNow:O}}"}"""),
        };
        var factory = new ConnectionFactory { Uri = world.VhostUrl! };
        await using (var connection = await factory.CreateConnectionAsync(cancellationToken))
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), cancellationToken))
        {
            foreach (var queue in queues)
            {
                foreach (var (contentType, body) in poisons)
                {
                    var properties = new BasicProperties { ContentType = contentType, MessageId = Guid.NewGuid().ToString(), DeliveryMode = DeliveryModes.Persistent };
                    await channel.BasicPublishAsync("", queue, mandatory: true, properties, Encoding.UTF8.GetBytes(body), cancellationToken);
                }
            }
        }

        world.ExpectedErrorMessages = queues.Count * poisons.Length;
        await DeployMixAsync(world, world.AddSites(2 * scale), name: "r2");
        await FinishAsync(world, report, TimeSpan.FromSeconds(60), null, cancellationToken);
        report.Injected += $" ({queues.Count} queues)";
        report.Checked += ",every-poison-in-error-queue";
        return report;
    }
}
