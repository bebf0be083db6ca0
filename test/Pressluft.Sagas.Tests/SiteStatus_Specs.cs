using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_two_environments_of_a_site_finish_at_once(LedgerProvider ledger)
{
    // Each transition used to work the site's status out from what it read before committing, so two environments
    // finishing together could each see the other in progress and leave the site deploying for good.
    [Test]
    public async Task Should_leave_the_site_following_both()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        for (var round = 0; round < 8; round++)
        {
            var production = new SiteFixture();
            var staging = production.Mutation(production.NewRelease($"s{round}")) with { EnvironmentId = Guid.NewGuid(), EnvironmentSlug = "staging", EnvironmentType = "staging" };
            var live = production.Mutation(production.NewRelease($"p{round}"));

            await Task.WhenAll(host.PublishAsync(live), host.PublishAsync(staging));
            await host.WaitForGateAsync(live.MutationJobId);
            await host.WaitForGateAsync(staging.MutationJobId);

            var site = await host.SiteAsync(production.SiteId);
            Assert.That(site.Status, Is.EqualTo(EnvironmentStatuses.Active), $"round {round}: both environments are active, the site is not");
        }
    }
}
