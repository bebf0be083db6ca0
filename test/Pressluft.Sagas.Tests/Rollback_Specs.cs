using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_health_check_fails(LedgerProvider ledger)
{
    [Test]
    public async Task Should_mark_the_release_unhealthy_and_request_a_rollback_to_the_prior_release()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var ((good, broken, _), request) = await host.RollingBackAsync(site);

        var jobs = await host.JobsAsync(site.EnvironmentId);
        var transitions = await host.QueryAsync(db => db.ReleaseHealthTransitions.AsNoTracking().Where(t => t.ReleaseId == broken.Id).ToListAsync());
        Assert.Multiple(async () =>
        {
            Assert.That((await host.ReleaseAsync(broken.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Unhealthy));
            Assert.That(transitions.Select(t => (t.FromStatus, t.ToStatus)), Is.EqualTo(new[] { (ReleaseHealth.Unknown, ReleaseHealth.Unhealthy) }));
            Assert.That(transitions[0].Reason, Does.StartWith(ErrorCodes.HealthCheckFailed));
            Assert.That(transitions[0].JobId, Is.EqualTo(jobs[0].Id));
            Assert.That(request.FromRelease, Is.EqualTo(broken));
            Assert.That(request.ToRelease, Is.EqualTo(good));
            Assert.That(jobs.Select(j => (j.JobType, j.Status, j.ErrorCode)), Is.EqualTo(new[]
            {
                (JobTypes.HealthCheck, JobStatuses.Failed, (string?)ErrorCodes.HealthCheckFailed),
                (JobTypes.ReleaseRollback, JobStatuses.Queued, (string?)null),
            }));
            Assert.That(jobs[0].ErrorJson, Does.Contain("\"check\":\"http\"").And.Contain("HTTP 500"));
            Assert.That(jobs[1].Id, Is.EqualTo(request.JobId));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).Status, Is.EqualTo(EnvironmentStatuses.Deploying));
            Assert.That(await host.Harness.Consumed.Any<ReleaseHealthChanged>(x => x.Context.Message.ReleaseId == broken.Id
                && x.Context.Message.To == ReleaseHealth.Unhealthy), Is.True);
        });
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_rollback_is_verified(LedgerProvider ledger)
{
    [Test]
    public async Task Should_leave_environment_and_site_active_with_the_prior_release_current()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var (good, broken, mutation) = await host.DeployAsync(site, [CheckAnswer.Fail]);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        var jobs = await host.JobsAsync(site.EnvironmentId);
        var environment = await host.EnvironmentAsync(site.EnvironmentId);
        var verification = host.Runner.CheckRequests.Last();
        Assert.Multiple(async () =>
        {
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.RolledBack));
            Assert.That(gate.ErrorCode, Is.EqualTo(ErrorCodes.HealthCheckFailed));
            Assert.That(environment.Status, Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That(environment.CurrentReleaseId, Is.EqualTo(good.Id));
            Assert.That((await host.SiteAsync(site.SiteId)).Status, Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That((await host.ReleaseAsync(broken.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Unhealthy));
            Assert.That((await host.ReleaseAsync(good.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Healthy));
            Assert.That(verification.Purpose, Is.EqualTo(HealthCheckPurposes.VerifyRollback));
            Assert.That(verification.Release, Is.EqualTo(good));
            Assert.That(jobs.Select(j => (j.JobType, j.Status, j.ErrorCode)), Is.EqualTo(new[]
            {
                (JobTypes.HealthCheck, JobStatuses.Failed, (string?)ErrorCodes.HealthCheckFailed),
                (JobTypes.ReleaseRollback, JobStatuses.Succeeded, (string?)null),
                (JobTypes.HealthCheck, JobStatuses.Succeeded, (string?)null),
            }));
            Assert.That(await host.Harness.Consumed.Any<GateCompleted>(x => x.Context.Message.Outcome == GateOutcomes.RolledBack
                && x.Context.Message.CurrentReleaseId == good.Id), Is.True);
        });
        await host.WaitForStateAsync(site.EnvironmentId, m => m.Active);
    }

    [Test]
    public async Task Should_take_the_prior_release_from_the_ledger_when_the_event_does_not_name_it()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var good = site.NewRelease("r1");
        var broken = site.NewRelease("r2");
        await host.GateAsync(site.Mutation(good));

        host.Runner.Script(broken.Id, CheckAnswer.Fail);
        var gate = await host.GateAsync(site.Mutation(broken));

        Assert.Multiple(async () =>
        {
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.RolledBack));
            Assert.That((await host.SingleRollbackRequestAsync()).ToRelease, Is.EqualTo(good));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).CurrentReleaseId, Is.EqualTo(good.Id));
        });
    }

    [Test]
    public async Task Should_fall_back_to_the_newest_healthy_release_when_the_prior_one_is_unhealthy()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var r1 = site.NewRelease("r1");
        var r2 = site.NewRelease("r2");
        var r3 = site.NewRelease("r3");
        var r4 = site.NewRelease("r4");

        // r1 and r2 pass; r3 is deployed, fails, and is rolled back to r2; then r4 names r3 as previous and fails too.
        await host.GateAsync(site.Mutation(r1));
        await host.GateAsync(site.Mutation(r2, r1));

        host.Runner.Script(r3.Id, CheckAnswer.Fail);
        await host.GateAsync(site.Mutation(r3, r2));

        host.Runner.Script(r4.Id, CheckAnswer.Fail);
        var gate = await host.GateAsync(site.Mutation(r4, r3));

        Assert.Multiple(async () =>
        {
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.RolledBack));
            Assert.That(host.Runner.RollbackRequests.Last().ToRelease, Is.EqualTo(r2));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).CurrentReleaseId, Is.EqualTo(r2.Id));
        });
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_an_unhealthy_release_goes_live_again(LedgerProvider ledger)
{
    [Test]
    public async Task Should_keep_it_unhealthy_and_out_of_the_rollback_targets_when_it_passes_a_later_check()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var r1 = site.NewRelease("r1");
        var r2 = site.NewRelease("r2");
        var r3 = site.NewRelease("r3");
        await host.GateAsync(site.Mutation(r1));
        host.Runner.Script(r2.Id, CheckAnswer.Fail);
        await host.GateAsync(site.Mutation(r2, r1));

        // r2 is promoted again and passes this time; then r3 fails and must not be rolled back to r2.
        await host.GateAsync(site.Mutation(r2, r1, JobTypes.EnvPromote));
        host.Runner.Script(r3.Id, CheckAnswer.Fail);
        await host.GateAsync(site.Mutation(r3, r2));

        var transitions = await host.QueryAsync(db => db.ReleaseHealthTransitions.AsNoTracking().Where(t => t.ReleaseId == r2.Id).ToListAsync());
        Assert.Multiple(async () =>
        {
            Assert.That((await host.ReleaseAsync(r2.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Unhealthy));
            Assert.That(transitions.Select(t => (t.FromStatus, t.ToStatus)), Is.EqualTo(new[] { (ReleaseHealth.Unknown, ReleaseHealth.Unhealthy) }));
            Assert.That(host.Runner.RollbackRequests.Last().ToRelease, Is.EqualTo(r1));
        });
    }
}

/// <summary>Acceptance 4: every way a gate can fail leaves its stable code on the job an operator reads.</summary>
[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_gate_cannot_restore_a_healthy_release(LedgerProvider ledger)
{
    // Rolling back on a check that measured nothing is a choice (WhenInconclusive: RollBack); the release that could not
    // be checked is never marked unhealthy for it.
    [Test]
    public async Task Should_record_HEALTH_CHECK_INCONCLUSIVE_after_the_retries_and_roll_back_when_configured_to()
    {
        await using var host = await GateTestHost.StartAsync(ledger, new Dictionary<string, string?>
        {
            ["Pressluft:HealthGate:InconclusiveRetries"] = "1",
            ["Pressluft:HealthGate:WhenInconclusive"] = "RollBack",
        });
        var site = new SiteFixture();
        var (_, flaky, mutation) = await host.DeployAsync(site, [CheckAnswer.Inconclusive, CheckAnswer.Inconclusive]);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        var check = (await host.JobsAsync(site.EnvironmentId))[0];
        Assert.Multiple(async () =>
        {
            Assert.That(host.Runner.CheckRequests.Where(r => r.Release.Id == flaky.Id).Select(r => r.Attempt), Is.EqualTo(new[] { 1, 2 }));
            Assert.That(check.Status, Is.EqualTo(JobStatuses.Failed));
            Assert.That(check.ErrorCode, Is.EqualTo(ErrorCodes.HealthCheckInconclusive));
            Assert.That(check.AttemptCount, Is.EqualTo(2));
            Assert.That(check.ErrorJson, Does.Contain(ErrorCodes.AnsibleHostUnreachable));
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.RolledBack));
            Assert.That(gate.ErrorCode, Is.EqualTo(ErrorCodes.HealthCheckInconclusive));
            Assert.That((await host.ReleaseAsync(flaky.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Unknown), "marked unhealthy on a verdict that measured nothing");
        });
    }

    [Test]
    public async Task Should_pass_when_an_inconclusive_check_passes_on_retry()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var (_, _, mutation) = await host.DeployAsync(site, [CheckAnswer.Inconclusive, CheckAnswer.Pass]);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        var check = (await host.JobsAsync(site.EnvironmentId)).Single();
        Assert.Multiple(() =>
        {
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.Passed));
            Assert.That(check.Status, Is.EqualTo(JobStatuses.Succeeded));
            Assert.That(check.AttemptCount, Is.EqualTo(2));
            Assert.That(host.Runner.RollbackRequests, Is.Empty);
        });
    }

    [TestCase("HoldFailed")]
    [TestCase(null)]
    public async Task Should_hold_the_environment_failed_after_inconclusive_retries_by_default(string? policy)
    {
        var settings = new Dictionary<string, string?> { ["Pressluft:HealthGate:InconclusiveRetries"] = "0" };
        if (policy is not null)
        {
            settings["Pressluft:HealthGate:WhenInconclusive"] = policy;
        }

        await using var host = await GateTestHost.StartAsync(ledger, settings);
        var site = new SiteFixture();
        var (_, release, mutation) = await host.DeployAsync(site, [CheckAnswer.Inconclusive]);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        Assert.Multiple(async () =>
        {
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.Failed));
            Assert.That(gate.ErrorCode, Is.EqualTo(ErrorCodes.HealthCheckInconclusive));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).Status, Is.EqualTo(EnvironmentStatuses.Failed));
            Assert.That((await host.ReleaseAsync(release.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Unknown));
            Assert.That(host.Runner.RollbackRequests, Is.Empty);
        });
    }

    [Test]
    public async Task Should_record_HEALTH_CHECK_TIMEOUT_when_no_answer_arrives_before_the_deadline()
    {
        await using var host = await GateTestHost.StartAsync(ledger, new Dictionary<string, string?>
        {
            ["Pressluft:HealthGate:HealthCheckDeadline"] = "00:00:00.300",
            ["Pressluft:HealthGate:InconclusiveRetries"] = "1",
            ["Pressluft:HealthGate:WhenInconclusive"] = "RollBack",
        });
        var site = new SiteFixture();
        var (_, hung, mutation) = await host.DeployAsync(site, [CheckAnswer.Silent, CheckAnswer.Silent]);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        var check = (await host.JobsAsync(site.EnvironmentId))[0];
        Assert.Multiple(() =>
        {
            Assert.That(host.Runner.CheckRequests.Count(r => r.Release.Id == hung.Id), Is.EqualTo(2));
            Assert.That(check.ErrorCode, Is.EqualTo(ErrorCodes.HealthCheckTimeout));
            Assert.That(check.Status, Is.EqualTo(JobStatuses.Failed));
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.RolledBack));
            Assert.That(gate.ErrorCode, Is.EqualTo(ErrorCodes.HealthCheckTimeout));
        });
    }

    [Test]
    public async Task Should_record_ROLLBACK_FAILED_and_fail_environment_and_site_when_the_rollback_fails()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var (_, broken, mutation) = await host.DeployAsync(site, [CheckAnswer.Fail], [RollbackAnswer.Fail]);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        var rollback = (await host.JobsAsync(site.EnvironmentId)).Single(j => j.JobType == JobTypes.ReleaseRollback);
        Assert.Multiple(async () =>
        {
            Assert.That(rollback.Status, Is.EqualTo(JobStatuses.Failed));
            Assert.That(rollback.ErrorCode, Is.EqualTo(ErrorCodes.RollbackFailed));
            Assert.That(rollback.ErrorMessage, Does.Contain("not a release directory"));
            Assert.That(rollback.ErrorJson, Does.Contain(ErrorCodes.AnsibleHostFailed));
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.Failed));
            Assert.That(gate.ErrorCode, Is.EqualTo(ErrorCodes.RollbackFailed));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).Status, Is.EqualTo(EnvironmentStatuses.Failed));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).CurrentReleaseId, Is.EqualTo(broken.Id));
            Assert.That((await host.SiteAsync(site.SiteId)).Status, Is.EqualTo(EnvironmentStatuses.Failed));
        });
        await host.WaitForStateAsync(site.EnvironmentId, m => m.Failed);
    }

    [Test]
    public async Task Should_record_ROLLBACK_TIMEOUT_when_the_rollback_does_not_answer_in_time()
    {
        await using var host = await GateTestHost.StartAsync(ledger, new Dictionary<string, string?> { ["Pressluft:HealthGate:RollbackDeadline"] = "00:00:00.300" });
        var site = new SiteFixture();
        var (_, _, mutation) = await host.DeployAsync(site, [CheckAnswer.Fail], [RollbackAnswer.Silent]);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        var rollback = (await host.JobsAsync(site.EnvironmentId)).Single(j => j.JobType == JobTypes.ReleaseRollback);
        Assert.Multiple(async () =>
        {
            Assert.That(rollback.ErrorCode, Is.EqualTo(ErrorCodes.RollbackTimeout));
            Assert.That(gate.ErrorCode, Is.EqualTo(ErrorCodes.RollbackTimeout));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).Status, Is.EqualTo(EnvironmentStatuses.Failed));
        });
    }

    [Test]
    public async Task Should_record_ROLLBACK_NO_PRIOR_RELEASE_when_the_first_release_fails()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var (broken, mutation) = await host.DeployFirstAsync(site, CheckAnswer.Fail);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        var jobs = await host.JobsAsync(site.EnvironmentId);
        Assert.Multiple(async () =>
        {
            Assert.That(jobs.Select(j => (j.JobType, j.Status, j.ErrorCode)), Is.EqualTo(new[]
            {
                (JobTypes.HealthCheck, JobStatuses.Failed, (string?)ErrorCodes.HealthCheckFailed),
                (JobTypes.ReleaseRollback, JobStatuses.Failed, (string?)ErrorCodes.RollbackNoPriorRelease),
            }));
            Assert.That(gate.ErrorCode, Is.EqualTo(ErrorCodes.RollbackNoPriorRelease));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).Status, Is.EqualTo(EnvironmentStatuses.Failed));
            Assert.That((await host.ReleaseAsync(broken.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Unhealthy));
            Assert.That(host.Runner.RollbackRequests, Is.Empty);
        });
    }

    [Test]
    public async Task Should_record_ROLLBACK_VERIFICATION_FAILED_and_not_flip_again_when_the_restored_release_fails()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var (good, _, mutation) = await host.DeployAsync(site, [CheckAnswer.Fail], priorChecks: [CheckAnswer.Fail]);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        var jobs = await host.JobsAsync(site.EnvironmentId);
        Assert.Multiple(async () =>
        {
            Assert.That(jobs.Select(j => (j.JobType, j.Status, j.ErrorCode)), Is.EqualTo(new[]
            {
                (JobTypes.HealthCheck, JobStatuses.Failed, (string?)ErrorCodes.HealthCheckFailed),
                (JobTypes.ReleaseRollback, JobStatuses.Succeeded, (string?)null),
                (JobTypes.HealthCheck, JobStatuses.Failed, (string?)ErrorCodes.RollbackVerificationFailed),
            }));
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.Failed));
            Assert.That(gate.ErrorCode, Is.EqualTo(ErrorCodes.RollbackVerificationFailed));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).Status, Is.EqualTo(EnvironmentStatuses.Failed));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).CurrentReleaseId, Is.EqualTo(good.Id));
            Assert.That((await host.ReleaseAsync(good.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Unhealthy));
            Assert.That(host.Runner.RollbackRequests, Has.Count.EqualTo(1));
        });
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_an_operator_resets_a_failed_environment(LedgerProvider ledger)
{
    [Test]
    public async Task Should_make_it_active_again_and_record_who_did_it()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var (_, mutation) = await host.DeployFirstAsync(site, CheckAnswer.Fail);
        await host.WaitForGateAsync(mutation.MutationJobId);
        await host.WaitForStateAsync(site.EnvironmentId, m => m.Failed);

        await host.PublishAsync(new ResetEnvironment { EnvironmentId = site.EnvironmentId, RequestedBy = "ops@example.test", Reason = "fixed by hand", RequestedAt = DateTimeOffset.UtcNow });
        await host.WaitForStateAsync(site.EnvironmentId, m => m.Active);

        var change = await host.QueryAsync(db => db.EnvironmentStatusChanges.AsNoTracking()
            .Where(c => c.EnvironmentId == site.EnvironmentId).OrderByDescending(c => c.Id).FirstAsync());
        Assert.Multiple(async () =>
        {
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).Status, Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That((await host.SiteAsync(site.SiteId)).Status, Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That(change.FromStatus, Is.EqualTo(EnvironmentStatuses.Failed));
            Assert.That(change.Reason, Is.EqualTo("reset by ops@example.test: fixed by hand"));
        });
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_reset_does_not_say_who_asked(LedgerProvider ledger)
{
    [Test]
    public async Task Should_reject_it_and_leave_the_environment_failed()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var (_, mutation) = await host.DeployFirstAsync(site, CheckAnswer.Fail);
        await host.WaitForGateAsync(mutation.MutationJobId);

        await host.PublishAsync(new ResetEnvironment { EnvironmentId = site.EnvironmentId, RequestedBy = " ", RequestedAt = DateTimeOffset.UtcNow });

        Assert.That(await host.Harness.Consumed.Any<ResetEnvironment>(x => x.Exception != null), Is.True, "the reset was not rejected");
        var rejected = await host.Harness.Consumed.SelectAsync<ResetEnvironment>(x => x.Exception != null).First();
        Assert.Multiple(async () =>
        {
            Assert.That(rejected.Exception!.Message, Does.Contain("requestedBy is required"));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).Status, Is.EqualTo(EnvironmentStatuses.Failed));
        });
    }
}
