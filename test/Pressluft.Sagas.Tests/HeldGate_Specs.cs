using Microsoft.EntityFrameworkCore;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_mutation_completes_on_a_failed_environment(LedgerProvider ledger)
{
    // The deployer moved `current`: the ledger must say so, and the release must not become active unchecked when an
    // operator resets the environment.
    [Test]
    public async Task Should_record_the_live_release_hold_its_gate_and_check_it_at_the_reset()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var deployment = await host.DeployAsync(site, [CheckAnswer.Fail], [RollbackAnswer.Fail]);
        var failedGate = await host.WaitForGateAsync(deployment.Mutation.MutationJobId);
        await host.WaitForStateAsync(site.EnvironmentId, m => m.Failed);

        var fixedRelease = site.NewRelease("r3");
        var held = site.Mutation(fixedRelease, deployment.Release);
        await host.PublishAsync(held);
        await host.WaitForStateAsync(site.EnvironmentId, m => m.Held);
        var whileHeld = await host.EnvironmentAsync(site.EnvironmentId);
        var heldGate = await host.QueryAsync(db => db.Gates.AsNoTracking().SingleAsync(g => g.MutationJobId == held.MutationJobId));
        var checksWhileHeld = host.Runner.CheckRequests.Count(r => r.Release.Id == fixedRelease.Id);

        await host.PublishAsync(new ResetEnvironment { EnvironmentId = site.EnvironmentId, RequestedBy = "ops@example.test", Reason = "node fixed", RequestedAt = DateTimeOffset.UtcNow });
        var gate = await host.WaitForGateAsync(held.MutationJobId);

        var environment = await host.EnvironmentAsync(site.EnvironmentId);
        Assert.Multiple(async () =>
        {
            Assert.That(failedGate.ErrorCode, Is.EqualTo(ErrorCodes.RollbackFailed));
            Assert.That(whileHeld.Status, Is.EqualTo(EnvironmentStatuses.Failed), "the environment left failed without a reset");
            Assert.That(whileHeld.CurrentReleaseId, Is.EqualTo(fixedRelease.Id), "the ledger lost the release the deployer made live");
            Assert.That(heldGate.Outcome, Is.Null, "the held gate ended before the reset");
            Assert.That(checksWhileHeld, Is.Zero, "a failed environment was checked before the reset");
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.Passed));
            Assert.That(environment.Status, Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That(environment.CurrentReleaseId, Is.EqualTo(fixedRelease.Id));
            Assert.That((await host.ReleaseAsync(fixedRelease.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Healthy));
            Assert.That(await host.QueryAsync(db => db.EnvironmentStatusChanges.AsNoTracking().AnyAsync(c => c.Reason.Contains("reset by ops@example.test: node fixed"))), Is.True);
        });
    }
}
