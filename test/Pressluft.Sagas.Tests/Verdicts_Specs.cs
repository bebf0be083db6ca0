using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_the_first_release_of_an_unreachable_node_cannot_be_checked(LedgerProvider ledger)
{
    // Nothing was measured: the release stays unknown, and the headline names the cause (the check could not run), not
    // the missing rollback target a rollback policy would have looked for.
    [TestCase("HoldFailed")]
    [TestCase("RollBack")]
    public async Task Should_fail_the_environment_naming_the_check_and_leave_the_release_unknown(string policy)
    {
        await using var host = await GateTestHost.StartAsync(ledger, new Dictionary<string, string?>
        {
            ["Pressluft:HealthGate:InconclusiveRetries"] = "1",
            ["Pressluft:HealthGate:WhenInconclusive"] = policy,
        });
        var site = new SiteFixture();
        var (release, mutation) = await host.DeployFirstAsync(site, CheckAnswer.Inconclusive, CheckAnswer.Inconclusive);

        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        Assert.Multiple(async () =>
        {
            Assert.That((gate.Outcome, gate.ErrorCode), Is.EqualTo((GateOutcomes.Failed, ErrorCodes.HealthCheckInconclusive)));
            Assert.That((await host.ReleaseAsync(release.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Unknown));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).Status, Is.EqualTo(EnvironmentStatuses.Failed));
            Assert.That(host.Runner.RollbackRequests, Is.Empty);
        });
    }
}
