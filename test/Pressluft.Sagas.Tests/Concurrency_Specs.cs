using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Pressluft.Contracts;
using Pressluft.Messaging.Bus;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Messages;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_the_same_mutation_is_delivered_twice(LedgerProvider ledger)
{
    [Test]
    public async Task Should_gate_it_once_after_the_gate_ended()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var mutation = site.Mutation(site.NewRelease("r2"), site.NewRelease("r1"));

        await host.PublishAsync(mutation);
        await host.WaitForGateAsync(mutation.MutationJobId);
        await host.PublishAsync(mutation);
        Assert.That(await host.Harness.Consumed.Any<MutationCompleted>(x => x.Context.Message == mutation), Is.True);
        await host.HandledAsync<MutationCompleted>(m => m.MutationJobId == mutation.MutationJobId, count: 2);

        Assert.Multiple(async () =>
        {
            Assert.That(await host.QueryAsync(db => db.Gates.CountAsync()), Is.EqualTo(1));
            Assert.That(await host.JobsAsync(site.EnvironmentId), Has.Count.EqualTo(1));
            Assert.That(host.Runner.CheckRequests, Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task Should_gate_it_once_while_the_gate_runs()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var release = site.NewRelease("r2");
        host.Runner.Script(release.Id, CheckAnswer.Silent);
        var mutation = site.Mutation(release, site.NewRelease("r1"));

        await host.PublishAsync(mutation);
        await host.WaitForStateAsync(site.EnvironmentId, m => m.HealthChecking);
        await host.PublishAsync(mutation);
        await host.HandledAsync<MutationCompleted>(m => m.MutationJobId == mutation.MutationJobId, count: 2);

        var jobs = await host.JobsAsync(site.EnvironmentId);
        Assert.Multiple(() =>
        {
            Assert.That(jobs, Has.Count.EqualTo(1));
            Assert.That(jobs[0].Status, Is.EqualTo(JobStatuses.Queued));
            Assert.That(host.Runner.CheckRequests, Has.Count.EqualTo(1));
        });
    }
}

// Two copies of one published mutation (a publisher that sends again, a redelivery before the acknowledgement) carry the
// same id, and the saga's inbox on mutation-intake consumes it once.
[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_the_intake_receives_one_mutation_twice(LedgerProvider ledger)
{
    [Test]
    public async Task Should_reach_the_saga_once_under_the_id_it_was_published_with()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var release = site.NewRelease("r2");
        host.Runner.Script(release.Id, CheckAnswer.Silent);
        var mutation = site.Mutation(release, site.NewRelease("r1"));
        var messageId = NewId.NextGuid();

        await Task.WhenAll(host.Harness.Bus.Publish(mutation, c => c.MessageId = messageId), host.Harness.Bus.Publish(mutation, c => c.MessageId = messageId));
        await host.ReceivedAsync(messageId, times: 2, MutationIntake.QueueName);
        // The request goes out after the transition commits; wait for it, then make sure no second one follows.
        var request = await host.SingleCheckRequestAsync();

        var inbox = await host.QueryAsync(db => db.InboxStates.AsNoTracking().Where(i => i.MessageId == messageId).ToListAsync());
        Assert.Multiple(async () =>
        {
            Assert.That(inbox, Has.Count.EqualTo(1), "the saga did not de-duplicate the copies by the published id");
            Assert.That(await host.QueryAsync(db => db.InboxStates.CountAsync()), Is.EqualTo(1), "another inbox row was stored");
            Assert.That((await host.JobsAsync(site.EnvironmentId)).Select(j => j.Id), Is.EqualTo(new[] { request.JobId }));
            Assert.That(host.Runner.CheckRequests, Has.Count.EqualTo(1));
        });
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_stale_or_duplicate_answer_arrives(LedgerProvider ledger)
{
    [Test]
    public async Task Should_ignore_an_answer_for_another_job()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var release = site.NewRelease("r2");
        host.Runner.Script(release.Id, CheckAnswer.Silent);
        await host.PublishAsync(site.Mutation(release, site.NewRelease("r1")));
        await host.WaitForStateAsync(site.EnvironmentId, m => m.HealthChecking);

        var stale = new HealthCheckFailed
        {
            JobId = Guid.NewGuid(),
            EnvironmentId = site.EnvironmentId,
            Verdict = HealthVerdicts.Failed,
            Error = new JobError { Code = ErrorCodes.HealthCheckFailed, Message = "from some other job" },
            CompletedAt = DateTimeOffset.UtcNow,
        };
        await host.PublishAsync(stale);
        Assert.That(await host.Harness.Consumed.Any<HealthCheckFailed>(), Is.True);
        await host.HandledAsync<HealthCheckFailed>(m => m.JobId == stale.JobId);

        var jobs = await host.JobsAsync(site.EnvironmentId);
        Assert.Multiple(async () =>
        {
            Assert.That(jobs.Single().Status, Is.EqualTo(JobStatuses.Queued));
            Assert.That((await host.ReleaseAsync(release.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Unknown));
            Assert.That(host.Runner.RollbackRequests, Is.Empty);
        });
        await host.WaitForStateAsync(site.EnvironmentId, m => m.HealthChecking);
    }

    [Test]
    public async Task Should_ignore_a_late_answer_of_an_earlier_attempt_while_the_next_attempt_runs()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var (_, release, _) = await host.DeployAsync(site, [CheckAnswer.Inconclusive, CheckAnswer.Silent]);
        var retry = await host.CheckRequestAsync(r => r.Attempt == 2);

        // Attempt 1 was answered inconclusive; a second answer of it, a failure, arrives while attempt 2 runs.
        await host.PublishAsync(Answers.Failed(retry) with { Attempt = 1 });
        await host.HandledAsync<HealthCheckFailed>(m => m.Attempt == 1 && m.Verdict == HealthVerdicts.Failed);

        var saga = await host.QueryAsync(db => db.ReleaseLifecycleSagas.AsNoTracking().SingleAsync());
        Assert.Multiple(async () =>
        {
            Assert.That((saga.CurrentJobId, saga.Attempt), Is.EqualTo(((Guid?)retry.JobId, 2)), "the gate stopped waiting for attempt 2");
            Assert.That((await host.JobsAsync(site.EnvironmentId)).Select(j => (j.JobType, j.Status)), Is.EqualTo(new[] { (JobTypes.HealthCheck, JobStatuses.Running) }));
            Assert.That((await host.ReleaseAsync(release.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Unknown));
            Assert.That(host.Runner.RollbackRequests, Is.Empty);
        });
        await host.WaitForStateAsync(site.EnvironmentId, m => m.HealthChecking);
    }

    [Test]
    public async Task Should_ignore_a_repeated_failure_after_the_gate_rolled_back()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var good = site.NewRelease("r1");
        var broken = site.NewRelease("r2");
        host.Runner.Script(broken.Id, CheckAnswer.Fail);
        var mutation = site.Mutation(broken, good);
        await host.PublishAsync(mutation);
        await host.WaitForGateAsync(mutation.MutationJobId);
        var firstCheck = host.Runner.CheckRequests.First(r => r.Purpose == HealthCheckPurposes.Gate);

        await host.PublishAsync(new HealthCheckFailed
        {
            JobId = firstCheck.JobId,
            EnvironmentId = site.EnvironmentId,
            Verdict = HealthVerdicts.Failed,
            Error = new JobError { Code = ErrorCodes.HealthCheckFailed, Message = "redelivered" },
            CompletedAt = DateTimeOffset.UtcNow,
        });
        await host.HandledAsync<HealthCheckFailed>(m => m.JobId == firstCheck.JobId && m.Error.Message == "redelivered");

        Assert.Multiple(async () =>
        {
            Assert.That(host.Runner.RollbackRequests, Has.Count.EqualTo(1));
            Assert.That(await host.JobsAsync(site.EnvironmentId), Has.Count.EqualTo(3));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).CurrentReleaseId, Is.EqualTo(good.Id));
            Assert.That((await host.ReleaseAsync(good.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Healthy));
        });
        await host.WaitForStateAsync(site.EnvironmentId, m => m.Active);
    }
}

/// <summary>A deadline is scheduled with every attempt and delivered when due, answered or not: only the current one counts.</summary>
[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_deadline_of_another_job_or_attempt_arrives(LedgerProvider ledger)
{
    [Test]
    public async Task Should_ignore_the_deadline_of_an_earlier_attempt()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        await host.DeployAsync(site, [CheckAnswer.Inconclusive, CheckAnswer.Silent]);
        var retry = await host.CheckRequestAsync(r => r.Attempt == 2);
        await host.HandledAsync<HealthCheckRetryDue>(m => m.JobId == retry.JobId);
        var before = await Snapshot.TakeAsync(host);

        await host.SendToSagaAsync(new HealthCheckDeadlineExpired { EnvironmentId = site.EnvironmentId, JobId = retry.JobId, Attempt = 1 });
        await host.HandledAsync<HealthCheckDeadlineExpired>(m => m.JobId == retry.JobId && m.Attempt == 1);

        await AssertUnchangedAsync(host, before, retry.JobId, attempt: 2);
    }

    [Test]
    public async Task Should_ignore_a_health_check_deadline_of_another_job()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var (_, check) = await host.AwaitingCheckAsync(site);
        var before = await Snapshot.TakeAsync(host);

        var other = Guid.NewGuid();
        await host.SendToSagaAsync(new HealthCheckDeadlineExpired { EnvironmentId = site.EnvironmentId, JobId = other, Attempt = 1 });
        await host.HandledAsync<HealthCheckDeadlineExpired>(m => m.JobId == other);

        await AssertUnchangedAsync(host, before, check.JobId, attempt: 1);
    }

    [Test]
    public async Task Should_ignore_a_rollback_deadline_of_another_job()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var (_, rollback) = await host.RollingBackAsync(site);
        var before = await Snapshot.TakeAsync(host);

        var other = Guid.NewGuid();
        await host.SendToSagaAsync(new RollbackDeadlineExpired { EnvironmentId = site.EnvironmentId, JobId = other });
        await host.HandledAsync<RollbackDeadlineExpired>(m => m.JobId == other);

        await AssertUnchangedAsync(host, before, rollback.JobId, attempt: 1);
    }

    /// <summary>Consuming the stale deadline bumps the saga's version and writes its inbox row; nothing else may change.</summary>
    private static async Task AssertUnchangedAsync(GateTestHost host, Snapshot before, Guid awaitedJobId, int attempt)
    {
        var after = await Snapshot.TakeAsync(host);
        var saga = await host.QueryAsync(db => db.ReleaseLifecycleSagas.AsNoTracking().SingleAsync());
        Assert.Multiple(() =>
        {
            Assert.That(after with { SagaVersion = before.SagaVersion, InboxRows = before.InboxRows }, Is.EqualTo(before), "a stale deadline changed stored state");
            Assert.That((saga.CurrentJobId, saga.Attempt), Is.EqualTo(((Guid?)awaitedJobId, attempt)), "the gate stopped waiting for its current job and attempt");
        });
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_newer_mutation_completes_during_a_gate(LedgerProvider ledger)
{
    [Test]
    public async Task Should_supersede_the_running_check_and_gate_the_new_release()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var r1 = site.NewRelease("r1");
        var r2 = site.NewRelease("r2");
        var r3 = site.NewRelease("r3");
        host.Runner.Script(r2.Id, CheckAnswer.Silent);
        var older = site.Mutation(r2, r1);
        await host.PublishAsync(older);
        await host.WaitForStateAsync(site.EnvironmentId, m => m.HealthChecking);
        var olderCheck = await host.SingleCheckRequestAsync();

        var newer = site.Mutation(r3, r2);
        await host.PublishAsync(newer);
        var newerGate = await host.WaitForGateAsync(newer.MutationJobId);

        // The superseded check answers late with a failure: it must not touch r3.
        await host.PublishAsync(new HealthCheckFailed
        {
            JobId = olderCheck.JobId,
            EnvironmentId = site.EnvironmentId,
            Verdict = HealthVerdicts.Failed,
            Error = new JobError { Code = ErrorCodes.HealthCheckFailed, Message = "late answer" },
            CompletedAt = DateTimeOffset.UtcNow,
        });
        await host.HandledAsync<HealthCheckFailed>(m => m.JobId == olderCheck.JobId);

        var olderGate = await host.QueryAsync(db => db.Gates.AsNoTracking().SingleAsync(g => g.MutationJobId == older.MutationJobId));
        var olderJob = await host.QueryAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == olderCheck.JobId));
        Assert.Multiple(async () =>
        {
            Assert.That(olderGate.Outcome, Is.EqualTo(GateOutcomes.Superseded));
            Assert.That(olderJob.Status, Is.EqualTo(JobStatuses.Cancelled));
            Assert.That(olderJob.ErrorCode, Is.EqualTo(ErrorCodes.GateSuperseded));
            Assert.That(newerGate.Outcome, Is.EqualTo(GateOutcomes.Passed));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).CurrentReleaseId, Is.EqualTo(r3.Id));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).Status, Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That((await host.ReleaseAsync(r3.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Healthy));
            Assert.That(host.Runner.RollbackRequests, Is.Empty);
        });
    }

    [Test]
    public async Task Should_never_let_the_old_gates_rollback_roll_back_the_new_release()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var r1 = site.NewRelease("r1");
        var r2 = site.NewRelease("r2");
        var r3 = site.NewRelease("r3");
        host.Runner.Script(r2.Id, CheckAnswer.Fail);
        host.Runner.ScriptRollback(RollbackAnswer.Silent);
        var older = site.Mutation(r2, r1);
        await host.PublishAsync(older);
        await host.WaitForStateAsync(site.EnvironmentId, m => m.RollingBack);
        var oldRollback = await host.SingleRollbackRequestAsync();

        var newer = site.Mutation(r3, r2);
        await host.PublishAsync(newer);
        var newerGate = await host.WaitForGateAsync(newer.MutationJobId);

        // The old rollback finishes after the new release was gated.
        await host.PublishAsync(new RollbackCompleted
        {
            JobId = oldRollback.JobId,
            EnvironmentId = site.EnvironmentId,
            FromReleaseId = r2.Id,
            ToReleaseId = r1.Id,
            CompletedAt = DateTimeOffset.UtcNow,
        });
        await host.HandledAsync<RollbackCompleted>(m => m.JobId == oldRollback.JobId);

        var oldRollbackJob = await host.QueryAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == oldRollback.JobId));
        Assert.Multiple(async () =>
        {
            Assert.That(newerGate.Outcome, Is.EqualTo(GateOutcomes.Passed));
            Assert.That(oldRollbackJob.Status, Is.EqualTo(JobStatuses.Cancelled));
            Assert.That(oldRollbackJob.ErrorCode, Is.EqualTo(ErrorCodes.GateSuperseded));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).CurrentReleaseId, Is.EqualTo(r3.Id));
            Assert.That(host.Runner.CheckRequests.Count(r => r.Purpose == HealthCheckPurposes.VerifyRollback), Is.Zero);
            Assert.That(oldRollback.FromRelease, Is.EqualTo(r2), "the playbook refuses to move current unless it still points at the release being left");
        });
        await host.WaitForStateAsync(site.EnvironmentId, m => m.Active);
    }

    /// <summary>
    /// Competing runners can take an older event after a newer one (the fault suite's scenario 6 found it): it must
    /// still end in one outcome, or whoever waits for its gate waits forever; it changes nothing and checks nothing.
    /// </summary>
    [Test]
    public async Task Should_end_a_mutation_that_completed_before_the_gated_one_as_superseded_and_change_nothing()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var r1 = site.NewRelease("r1");
        var r2 = site.NewRelease("r2");
        var current = site.Mutation(r2, r1);
        var late = site.Mutation(r1, completedAt: current.CompletedAt.AddMinutes(-5));
        await host.PublishAsync(current);
        await host.WaitForGateAsync(current.MutationJobId);

        var checksBefore = host.Runner.CheckRequests.Count;

        await host.PublishAsync(late);
        await host.HandledAsync<MutationCompleted>(m => m.MutationJobId == late.MutationJobId);

        var lateGate = await host.QueryAsync(db => db.Gates.AsNoTracking().SingleOrDefaultAsync(g => g.MutationJobId == late.MutationJobId));
        Assert.Multiple(async () =>
        {
            Assert.That(lateGate?.Outcome, Is.EqualTo(GateOutcomes.Superseded));
            Assert.That(lateGate?.ErrorCode, Is.EqualTo(ErrorCodes.GateSuperseded));
            Assert.That(host.Runner.CheckRequests, Has.Count.EqualTo(checksBefore), "the older release was checked");
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).CurrentReleaseId, Is.EqualTo(r2.Id));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).Status, Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That((await host.ReleaseAsync(r2.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Healthy));
        });
    }
}

/// <summary>
/// Two runners share one PostgreSQL ledger, each with its own bus, and both take the first mutations of a site nobody has
/// recorded yet at the same moment: both insert the same saga, environment or site row, one of them loses the race in
/// PostgreSQL and must be tried again (reading what the other recorded), not fault or record twice.
/// </summary>
public sealed class When_two_runners_record_one_new_site_at_once
{
    [Test]
    public async Task Should_gate_every_mutation_with_nothing_faulted_and_the_newest_release_live()
    {
        await using var database = await TestDatabase.CreateAsync(LedgerProvider.Postgres);
        await using var runnerA = await GateTestHost.StartAsync(LedgerProvider.Postgres, shared: database);
        await using var runnerB = await GateTestHost.StartAsync(LedgerProvider.Postgres, shared: database);
        var sites = Enumerable.Range(0, 6).Select(_ => new SiteFixture()).ToList();
        var races = sites.Select(site =>
        {
            // Two deploys of one new environment, one on each runner, and a deploy of the site's other environment.
            var older = site.Mutation(site.NewRelease("r1"));
            var newer = site.Mutation(site.NewRelease("r2"), older.Release, completedAt: older.CompletedAt.AddSeconds(1));
            var staging = site.OtherEnvironment("staging");
            return (Site: site, Older: older, Newer: newer, Staging: staging.Mutation(staging.NewRelease("s1")));
        }).ToList();

        await Task.WhenAll(races.SelectMany(race => new[]
        {
            runnerA.PublishAsync(race.Older), runnerB.PublishAsync(race.Newer), runnerB.PublishAsync(race.Staging),
        }));

        foreach (var race in races)
        {
            var newer = await runnerA.WaitForGateAsync(race.Newer.MutationJobId, TimeSpan.FromSeconds(60));
            var older = await runnerA.WaitForGateAsync(race.Older.MutationJobId, TimeSpan.FromSeconds(60));
            var staging = await runnerA.WaitForGateAsync(race.Staging.MutationJobId, TimeSpan.FromSeconds(60));
            var environment = await runnerA.EnvironmentAsync(race.Site.EnvironmentId);
            Assert.Multiple(() =>
            {
                Assert.That(newer.Outcome, Is.EqualTo(GateOutcomes.Passed), "the newer deploy");
                Assert.That(older.Outcome, Is.AnyOf(GateOutcomes.Superseded, GateOutcomes.Passed), "the older deploy: superseded, or passed before the newer came");
                Assert.That(staging.Outcome, Is.EqualTo(GateOutcomes.Passed), "the other environment of the site");
                Assert.That(environment.CurrentReleaseId, Is.EqualTo(race.Newer.Release.Id));
                Assert.That(environment.Status, Is.EqualTo(EnvironmentStatuses.Active));
            });
        }

        var sitesRecorded = await runnerA.QueryAsync(db => db.Sites.AsNoTracking().CountAsync());
        Assert.Multiple(() =>
        {
            Assert.That(sitesRecorded, Is.EqualTo(sites.Count), "a site recorded twice, or not at all");
            Assert.That(runnerA.Harness.Published.Select<Fault>(new CancellationToken(canceled: true)), Is.Empty, "runner A faulted a message");
            Assert.That(runnerB.Harness.Published.Select<Fault>(new CancellationToken(canceled: true)), Is.Empty, "runner B faulted a message");
        });
    }
}
