using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_the_gate_is_report_only(LedgerProvider ledger)
{
    [Test]
    public async Task Should_record_the_release_unhealthy_and_not_roll_back()
    {
        await using var host = await GateTestHost.StartAsync(ledger, new Dictionary<string, string?> { ["Pressluft:HealthGate:Operations:env_deploy:Mode"] = "ReportOnly" });
        var site = new SiteFixture();
        var broken = site.NewRelease("r2");
        host.Runner.Script(broken.Id, CheckAnswer.Fail);

        var mutation = site.Mutation(broken, site.NewRelease("r1"));
        await host.PublishAsync(mutation);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        var jobs = await host.JobsAsync(site.EnvironmentId);
        Assert.Multiple(async () =>
        {
            Assert.That(gate.Mode, Is.EqualTo(GateModes.ReportOnly));
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.Reported));
            Assert.That(gate.ErrorCode, Is.EqualTo(ErrorCodes.HealthCheckFailed));
            Assert.That((await host.ReleaseAsync(broken.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Unhealthy));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).Status, Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).CurrentReleaseId, Is.EqualTo(broken.Id));
            Assert.That(jobs.Select(j => j.JobType), Is.EqualTo(new[] { JobTypes.HealthCheck }));
            Assert.That(host.Runner.RollbackRequests, Is.Empty);
        });
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_the_gate_is_disabled(LedgerProvider ledger)
{
    [Test]
    public async Task Should_skip_the_check_and_record_that_it_was_skipped()
    {
        await using var host = await GateTestHost.StartAsync(ledger, new Dictionary<string, string?> { ["Pressluft:HealthGate:Operations:env_restore:Mode"] = "Disabled" });
        var site = new SiteFixture();
        var release = site.NewRelease("r2");

        var mutation = site.Mutation(release, site.NewRelease("r1"), JobTypes.EnvRestore);
        await host.PublishAsync(mutation);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        Assert.Multiple(async () =>
        {
            Assert.That(gate.Mode, Is.EqualTo(GateModes.Disabled));
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.Skipped));
            Assert.That(await host.JobsAsync(site.EnvironmentId), Is.Empty);
            Assert.That(host.Runner.CheckRequests, Is.Empty);
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).Status, Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That((await host.ReleaseAsync(release.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Unknown));
        });
        await host.WaitForStateAsync(site.EnvironmentId, m => m.Active);
    }

    [Test]
    public async Task Should_still_gate_the_other_operations()
    {
        await using var host = await GateTestHost.StartAsync(ledger, new Dictionary<string, string?> { ["Pressluft:HealthGate:Operations:env_restore:Mode"] = "Disabled" });
        var site = new SiteFixture();
        var mutation = site.Mutation(site.NewRelease("r2"), site.NewRelease("r1"), JobTypes.EnvDeploy);

        await host.PublishAsync(mutation);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        Assert.Multiple(() =>
        {
            Assert.That(gate.Mode, Is.EqualTo(GateModes.Enforce));
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.Passed));
            Assert.That(host.Runner.CheckRequests, Has.Count.EqualTo(1));
        });
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_the_guarded_config_changes_between_two_gates(LedgerProvider ledger)
{
    [Test]
    public async Task Should_use_the_mode_in_force_when_each_mutation_is_handled_without_a_restart()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var r1 = site.NewRelease("r1");
        var r2 = site.NewRelease("r2");
        var r3 = site.NewRelease("r3");
        host.Runner.Script(r2.Id, CheckAnswer.Fail);
        host.Runner.Script(r3.Id, CheckAnswer.Fail);

        var first = site.Mutation(r1);
        await host.PublishAsync(first);
        await host.WaitForGateAsync(first.MutationJobId);

        var enforced = site.Mutation(r2, r1);
        await host.PublishAsync(enforced);
        var enforcedGate = await host.WaitForGateAsync(enforced.MutationJobId);

        host.SetMode(JobTypes.EnvDeploy, GateModes.ReportOnly);
        var reported = site.Mutation(r3, r1);
        await host.PublishAsync(reported);
        var reportedGate = await host.WaitForGateAsync(reported.MutationJobId);

        host.SetMode(JobTypes.EnvDeploy, GateModes.Disabled);
        var skipped = site.Mutation(site.NewRelease("r4"), r3);
        await host.PublishAsync(skipped);
        var skippedGate = await host.WaitForGateAsync(skipped.MutationJobId);

        Assert.Multiple(async () =>
        {
            Assert.That((enforcedGate.Mode, enforcedGate.Outcome), Is.EqualTo((GateModes.Enforce, GateOutcomes.RolledBack)));
            Assert.That((reportedGate.Mode, reportedGate.Outcome), Is.EqualTo((GateModes.ReportOnly, GateOutcomes.Reported)));
            Assert.That((skippedGate.Mode, skippedGate.Outcome), Is.EqualTo((GateModes.Disabled, GateOutcomes.Skipped)));
            Assert.That(host.Runner.RollbackRequests, Has.Count.EqualTo(1));
            Assert.That(await host.QueryAsync(db => db.Gates.CountAsync()), Is.EqualTo(4));
        });
    }
}
