using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_gate_accepts_its_answers(LedgerProvider ledger)
{
    // The stale catch-all must judge an answer before the accepting step moves the saga on; judged after, every
    // accepted answer also looked stale, and the stale counter counted every gate.
    [Test]
    public async Task Should_count_none_of_them_as_stale_and_still_count_a_stale_one()
    {
        var logs = new CapturedLogs();
        await using var host = await GateTestHost.StartAsync(ledger, services: s => s.AddLogging(b => b.AddProvider(logs)));
        var site = new SiteFixture();
        var good = site.NewRelease("r1");
        var broken = site.NewRelease("r2");
        host.Runner.Script(broken.Id, CheckAnswer.Fail);
        var first = site.Mutation(good);
        await host.PublishAsync(first);
        await host.WaitForGateAsync(first.MutationJobId);
        var second = site.Mutation(broken, good);
        await host.PublishAsync(second);
        await host.WaitForGateAsync(second.MutationJobId);
        var staleBefore = StaleLines(logs);

        await host.PublishAsync(new HealthCheckPassed { JobId = Guid.NewGuid(), EnvironmentId = site.EnvironmentId, CompletedAt = DateTimeOffset.UtcNow });
        await GateTestHost.Until(() => Task.FromResult(StaleLines(logs).Count == staleBefore.Count + 1), what: "the stale answer to be logged");

        Assert.Multiple(() =>
        {
            Assert.That(staleBefore, Is.Empty, "an accepted answer was logged as stale");
            Assert.That(StaleLines(logs).Last(), Does.Contain("Stale HealthCheckPassed"));
        });
    }

    private static List<string> StaleLines(CapturedLogs logs) => logs.Entries.Where(e => e.Message.StartsWith("Stale ", StringComparison.Ordinal)).Select(e => e.Message).ToList();
}
