using Microsoft.EntityFrameworkCore;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_job_waits_for_a_runner(LedgerProvider ledger)
{
    // A request waits in the queue at most QueueTimeout (no runner starts it later); the gate's deadline is that wait
    // plus the time a started check may take, so a backlog shorter than the queue timeout never turns into a timeout.
    [Test]
    public async Task Should_carry_an_expiry_and_set_the_deadline_past_it()
    {
        await using var host = await GateTestHost.StartAsync(ledger, new Dictionary<string, string?>
        {
            ["Pressluft:HealthGate:QueueTimeout"] = "00:10:00",
            ["Pressluft:HealthGate:HealthCheckDeadline"] = "00:02:00",
        });
        var site = new SiteFixture();
        var release = site.NewRelease("r2");
        host.Runner.Script(release.Id, CheckAnswer.Silent);
        var before = DateTimeOffset.UtcNow;

        await host.PublishAsync(site.Mutation(release, site.NewRelease("r1")));
        var request = await host.SingleCheckRequestAsync();
        var deadline = await host.QueryAsync(db => db.OutboxMessages.AsNoTracking().SingleAsync(m => m.InboxMessageId == null));

        Assert.Multiple(() =>
        {
            Assert.That(request.ExpiresAt, Is.GreaterThanOrEqualTo(before.AddMinutes(10)).And.LessThan(before.AddMinutes(11)));
            Assert.That(deadline.EnqueueTime, Is.GreaterThanOrEqualTo(before.UtcDateTime.AddMinutes(12)).And.LessThan(before.UtcDateTime.AddMinutes(13)));
            Assert.That(deadline.MessageType, Does.Contain("HealthCheckDeadlineExpired"));
        });
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_jobs_are_answered(LedgerProvider ledger)
{
    // Every deadline the gate set is cancelled with the answer it waited for: an answered gate leaves no due rows, and
    // no stale deadline reaches the saga minutes later.
    [Test]
    public async Task Should_leave_no_deadline_behind()
    {
        await using var host = await GateTestHost.StartAsync(ledger, new Dictionary<string, string?> { ["Pressluft:HealthGate:QueueTimeout"] = "00:10:00" });
        var site = new SiteFixture();
        var good = site.NewRelease("r1");
        var broken = site.NewRelease("r2");
        host.Runner.Script(broken.Id, CheckAnswer.Inconclusive, CheckAnswer.Fail);
        var first = site.Mutation(good);
        await host.PublishAsync(first);
        await host.WaitForGateAsync(first.MutationJobId);

        var second = site.Mutation(broken, good);
        await host.PublishAsync(second);
        var gate = await host.WaitForGateAsync(second.MutationJobId);

        Assert.Multiple(async () =>
        {
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.RolledBack), "a check, a retry, a rollback and a re-check");
            Assert.That(await host.QueryAsync(db => db.OutboxMessages.CountAsync(m => m.InboxMessageId == null && m.MessageType.Contains("DeadlineExpired"))), Is.Zero);
            Assert.That(await host.QueryAsync(db => db.ReleaseLifecycleSagas.Select(s => s.DeadlineId).SingleAsync()), Is.Null);
        });
    }
}
