using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
using Pressluft.Runner.Hosting;
using Pressluft.Runner.Tests.Support;

namespace Pressluft.Runner.Tests;

/// <summary>The whole gate on the embedded default: saga, ledger on SQLite, real playbooks against a local site.</summary>
public sealed class When_a_broken_release_is_deployed_on_the_embedded_default
{
    [Test]
    public async Task Should_check_it_roll_back_re_check_and_leave_the_prior_release_live()
    {
        await using var world = AnsibleWorld.Create();
        var good = world.Site.AddRelease("r1");
        var broken = world.Site.AddRelease("r2", httpStatus: 500);
        world.Site.MakeCurrent(broken);
        await using var provider = await world.StartHarnessAsync(x => x.AddPressluftEndpoints());
        await provider.MigrateLedgerAsync();
        var harness = provider.GetRequiredService<ITestHarness>();

        var mutation = new MutationCompleted
        {
            MutationJobId = Guid.NewGuid(),
            JobType = JobTypes.EnvDeploy,
            SiteId = world.Site.SiteId,
            EnvironmentId = world.Site.EnvironmentId,
            Node = world.Site.Node,
            EnvironmentUrl = world.Server.Url.ToString(),
            Release = broken,
            PreviousRelease = good,
            CompletedAt = DateTimeOffset.UtcNow,
        };
        await harness.Bus.Publish(mutation);

        GateRecord? gate = null;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (gate?.Outcome is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            gate = await Query(provider, db => db.Gates.AsNoTracking().SingleOrDefaultAsync(g => g.MutationJobId == mutation.MutationJobId));
        }

        var environment = await Query(provider, db => db.Environments.AsNoTracking().SingleAsync(e => e.Id == world.Site.EnvironmentId));
        var releases = await Query(provider, db => db.Releases.AsNoTracking().ToDictionaryAsync(r => r.Id, r => r.HealthStatus));
        var jobs = await Query(provider, db => db.Jobs.AsNoTracking().OrderBy(j => j.CreatedAt).ToListAsync());
        Assert.Multiple(() =>
        {
            Assert.That(gate?.Outcome, Is.EqualTo(GateOutcomes.RolledBack));
            Assert.That(world.Site.CurrentTarget, Is.EqualTo(good.Path));
            Assert.That(environment.Status, Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That(environment.CurrentReleaseId, Is.EqualTo(good.Id));
            Assert.That(releases[broken.Id], Is.EqualTo(ReleaseHealth.Unhealthy));
            Assert.That(releases[good.Id], Is.EqualTo(ReleaseHealth.Healthy));
            Assert.That(jobs.Select(j => (j.JobType, j.Status, j.ErrorCode)), Is.EqualTo(new[]
            {
                (JobTypes.HealthCheck, JobStatuses.Failed, (string?)ErrorCodes.HealthCheckFailed),
                (JobTypes.ReleaseRollback, JobStatuses.Succeeded, (string?)null),
                (JobTypes.HealthCheck, JobStatuses.Succeeded, (string?)null),
            }));
            Assert.That(jobs.Select(j => j.StartedAt), Has.All.Not.Null, "each job went through running");
            Assert.That(jobs[0].ErrorJson, Does.Contain("HTTP 500").And.Contain(Consumers.HealthCheckVariables.ChecksModule));
            Assert.That(File.Exists(Path.Combine(broken.Path, ".pressluft-rolled-back")), Is.True);
        });
    }

    private static async Task<T> Query<T>(IServiceProvider provider, Func<PressluftDbContext, Task<T>> query)
    {
        await using var scope = provider.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<PressluftDbContext>());
    }
}
