using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Pressluft.Contracts;
using Pressluft.Messaging.Outbox;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Messages;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

// On the embedded default a request handed to an in-memory queue dies with the process. At the next start every gate
// waiting for an answer sends its request again; a silent runner stands in for the request that was lost.
[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_the_embedded_default_starts_with_gates_waiting_for_an_answer(LedgerProvider ledger)
{
    [Test]
    public async Task Should_send_the_lost_check_again_and_finish_the_gate_on_its_answer()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var (deployment, lost) = await host.AwaitingCheckAsync(site);
        host.Runner.Script(deployment.Release.Id, CheckAnswer.Pass);

        var resumed = await Resumption(host).ResumeAsync(CancellationToken.None);
        var gate = await host.WaitForGateAsync(deployment.Mutation.MutationJobId);

        var requests = host.Runner.CheckRequests.Where(r => r.Release.Id == deployment.Release.Id).ToList();
        var jobs = await host.JobsAsync(site.EnvironmentId);
        Assert.Multiple(async () =>
        {
            Assert.That(resumed, Is.EqualTo(1));
            Assert.That(requests.Select(r => (r.JobId, r.Attempt)), Is.EqualTo(new[] { (lost.JobId, lost.Attempt), (lost.JobId, lost.Attempt) }),
                "the same job and attempt are asked again, not a new job");
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.Passed));
            Assert.That(jobs.Count(j => j.JobType == JobTypes.HealthCheck), Is.EqualTo(1));
            Assert.That((await host.ReleaseAsync(deployment.Release.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Healthy));
        });
    }

    [Test]
    public async Task Should_send_the_lost_rollback_again_and_roll_back_once()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var deployment = await host.DeployAsync(site, [CheckAnswer.Fail], [RollbackAnswer.Silent, RollbackAnswer.Complete]);
        await host.WaitForStateAsync(site.EnvironmentId, m => m.RollingBack);
        var lost = await host.SingleRollbackRequestAsync();

        var resumed = await Resumption(host).ResumeAsync(CancellationToken.None);
        var gate = await host.WaitForGateAsync(deployment.Mutation.MutationJobId);

        var jobs = await host.JobsAsync(site.EnvironmentId);
        Assert.Multiple(async () =>
        {
            Assert.That(resumed, Is.EqualTo(1));
            Assert.That(host.Runner.RollbackRequests.Select(r => r.JobId), Is.EqualTo(new[] { lost.JobId, lost.JobId }));
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.RolledBack));
            Assert.That(jobs.Count(j => j.JobType == JobTypes.ReleaseRollback), Is.EqualTo(1), "one rollback job per gate");
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).CurrentReleaseId, Is.EqualTo(deployment.Prior.Id));
        });
    }

    [Test]
    public async Task Should_leave_finished_gates_alone_and_ignore_a_resume_for_another_attempt()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var (deployment, check) = await host.AwaitingCheckAsync(site);
        var stale = new JobResumeDue { EnvironmentId = site.EnvironmentId, JobId = check.JobId, Attempt = check.Attempt + 1 };

        await host.SendToSagaAsync(stale);
        await host.HandledAsync<JobResumeDue>(m => m == stale);
        var requestsAfterStale = host.Runner.CheckRequests.Count;
        host.Runner.Script(deployment.Release.Id, CheckAnswer.Pass);
        await Resumption(host).ResumeAsync(CancellationToken.None);
        await host.WaitForGateAsync(deployment.Mutation.MutationJobId);
        var resumedAfterTheGate = await Resumption(host).ResumeAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(requestsAfterStale, Is.EqualTo(1), "a resume for an attempt the gate does not wait for sent a request");
            Assert.That(resumedAfterTheGate, Is.Zero, "a finished gate was resumed");
        });
    }

    private static GateResumption Resumption(GateTestHost host) =>
        new(host.Provider.GetRequiredService<IServiceScopeFactory>(), host.Harness.Bus, NullLogger<GateResumption>.Instance);
}
