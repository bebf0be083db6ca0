using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

[TestFixtureSource(nameof(Fixtures))]
public sealed class When_a_gated_mutation_completes(LedgerProvider ledger, string jobType, string inProgressStatus)
{
    private static IEnumerable<object[]> Fixtures() =>
        from provider in TestDatabase.Providers
        from mutation in new[]
        {
            (JobTypes.EnvDeploy, EnvironmentStatuses.Deploying),
            (JobTypes.EnvRestore, EnvironmentStatuses.Restoring),
            (JobTypes.EnvPromote, EnvironmentStatuses.Deploying),
        }
        select new object[] { provider, mutation.Item1, mutation.Item2 };

    [Test]
    public async Task Should_request_a_health_check_of_the_live_release_and_hold_the_environment_in_progress()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var release = site.NewRelease("r2");
        host.Runner.Script(release.Id, CheckAnswer.Silent);

        var mutation = site.Mutation(release, site.NewRelease("r1"), jobType);
        await host.PublishAsync(mutation);
        await host.WaitForStateAsync(site.EnvironmentId, m => m.HealthChecking);

        Assert.That(await host.Harness.Consumed.Any<HealthCheckRequested>(x => x.Context.Message.Release.Id == release.Id), Is.True);
        var request = await host.SingleCheckRequestAsync();
        var jobs = await host.JobsAsync(site.EnvironmentId);
        var environment = await host.EnvironmentAsync(site.EnvironmentId);
        Assert.Multiple(() =>
        {
            Assert.That(request.Purpose, Is.EqualTo(HealthCheckPurposes.Gate));
            Assert.That(request.EnvironmentUrl, Is.EqualTo(mutation.EnvironmentUrl));
            Assert.That(jobs, Has.Count.EqualTo(1));
            Assert.That(jobs[0].Id, Is.EqualTo(request.JobId));
            Assert.That(jobs[0].JobType, Is.EqualTo(JobTypes.HealthCheck));
            Assert.That(jobs[0].Status, Is.EqualTo(JobStatuses.Queued));
            Assert.That(jobs[0].MutationJobId, Is.EqualTo(mutation.MutationJobId));
            Assert.That(environment.Status, Is.EqualTo(inProgressStatus));
            Assert.That(environment.CurrentReleaseId, Is.EqualTo(release.Id));
        });
    }

    [Test]
    public async Task Should_make_the_environment_active_and_the_release_healthy_when_the_check_passes()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var release = site.NewRelease("r2");
        var mutation = site.Mutation(release, site.NewRelease("r1"), jobType);

        await host.PublishAsync(mutation);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        var jobs = await host.JobsAsync(site.EnvironmentId);
        Assert.Multiple(async () =>
        {
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.Passed));
            Assert.That(gate.Mode, Is.EqualTo(GateModes.Enforce));
            Assert.That((await host.ReleaseAsync(release.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Healthy));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).Status, Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That((await host.SiteAsync(site.SiteId)).Status, Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That(jobs.Select(j => (j.JobType, j.Status)), Is.EqualTo(new[] { (JobTypes.HealthCheck, JobStatuses.Succeeded) }));
            Assert.That(jobs[0].AttemptCount, Is.EqualTo(1));
            Assert.That(jobs[0].StartedAt, Is.Not.Null);
            Assert.That(await host.Harness.Consumed.Any<GateCompleted>(x => x.Context.Message.MutationJobId == mutation.MutationJobId
                && x.Context.Message.Outcome == GateOutcomes.Passed), Is.True);
        });
        await host.WaitForStateAsync(site.EnvironmentId, m => m.Active);
    }
}

/// <summary>A site's status follows all its environments: any failed makes it failed, else any in progress, else active.</summary>
[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_another_environment_of_the_site_has_failed(LedgerProvider ledger)
{
    [Test]
    public async Task Should_keep_the_site_failed_while_this_environment_is_gated_and_after_it_passes()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var production = new SiteFixture();
        var staging = production.OtherEnvironment("staging");
        var broken = staging.NewRelease("s1");
        host.Runner.Script(broken.Id, CheckAnswer.Fail);
        var failing = staging.Mutation(broken);
        await host.PublishAsync(failing);
        await host.WaitForGateAsync(failing.MutationJobId);

        var release = production.NewRelease("r1");
        host.Runner.Script(release.Id, CheckAnswer.Silent);
        await host.PublishAsync(production.Mutation(release));
        await host.WaitForStateAsync(production.EnvironmentId, m => m.HealthChecking);
        var whileGated = await host.SiteAsync(production.SiteId);
        var check = await host.CheckRequestAsync(r => r.EnvironmentId == production.EnvironmentId);
        await host.PublishAsync(new HealthCheckPassed
        {
            JobId = check.JobId,
            Attempt = check.Attempt,
            EnvironmentId = production.EnvironmentId,
            CompletedAt = DateTimeOffset.UtcNow,
        });
        await host.WaitForStateAsync(production.EnvironmentId, m => m.Active);

        Assert.Multiple(async () =>
        {
            Assert.That((await host.EnvironmentAsync(staging.EnvironmentId)).Status, Is.EqualTo(EnvironmentStatuses.Failed));
            Assert.That((await host.EnvironmentAsync(production.EnvironmentId)).Status, Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That(whileGated.Status, Is.EqualTo(EnvironmentStatuses.Failed), "an environment in progress hid the failed one");
            Assert.That((await host.SiteAsync(production.SiteId)).Status, Is.EqualTo(EnvironmentStatuses.Failed), "an active environment hid the failed one");
        });
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_mutation_of_an_unknown_job_type_arrives(LedgerProvider ledger)
{
    [Test]
    public async Task Should_reject_it_and_change_nothing()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var mutation = site.Mutation(site.NewRelease("r1"), jobType: "env_update");

        await host.PublishAsync(mutation);

        Assert.That(await host.Harness.Consumed.Any<MutationCompleted>(x => x.Exception != null), Is.True);
        var rejected = await host.Harness.Consumed.SelectAsync<MutationCompleted>(x => x.Exception != null).First();
        Assert.Multiple(async () =>
        {
            Assert.That(rejected.Exception!.Message, Does.Contain("job type 'env_update' is not gated"));
            Assert.That(await host.QueryAsync(db => db.ReleaseLifecycleSagas.CountAsync()), Is.Zero);
            Assert.That(await host.QueryAsync(db => db.Environments.CountAsync()), Is.Zero);
            Assert.That(await host.QueryAsync(db => db.Jobs.CountAsync()), Is.Zero);
            Assert.That(host.Runner.CheckRequests, Is.Empty);
        });
    }
}
