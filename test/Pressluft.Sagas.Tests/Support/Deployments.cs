using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Sagas.Tests.Support;

/// <summary>A published deploy of <see cref="Release"/> over <see cref="Prior"/>, the environment's release before it.</summary>
public sealed record Deployment(ReleaseRef Prior, ReleaseRef Release, MutationCompleted Mutation);

/// <summary>The ways most gate scenarios start: a deploy with the runner's answers scripted, up to the state the scenario is about.</summary>
public static class Deployments
{
    /// <summary>
    /// Deploys release r2 over r1 of <paramref name="site"/>: scripts the runner's answers to r2's checks
    /// (<paramref name="checks"/>), to rollbacks and to r1's checks (the verification after a rollback), then publishes
    /// the mutation.
    /// </summary>
    public static async Task<Deployment> DeployAsync(this GateTestHost host, SiteFixture site, CheckAnswer[] checks,
        RollbackAnswer[]? rollbacks = null, CheckAnswer[]? priorChecks = null)
    {
        var prior = site.NewRelease("r1");
        var release = site.NewRelease("r2");
        host.Runner.Script(release.Id, checks);
        host.Runner.Script(prior.Id, priorChecks ?? []);
        host.Runner.ScriptRollback(rollbacks ?? []);
        var mutation = site.Mutation(release, prior);
        await host.PublishAsync(mutation);
        return new Deployment(prior, release, mutation);
    }

    /// <summary>Deploys the first release r1 of <paramref name="site"/>, with nothing before it to roll back to.</summary>
    public static async Task<(ReleaseRef Release, MutationCompleted Mutation)> DeployFirstAsync(this GateTestHost host, SiteFixture site,
        params CheckAnswer[] checks)
    {
        var release = site.NewRelease("r1");
        host.Runner.Script(release.Id, checks);
        var mutation = site.Mutation(release);
        await host.PublishAsync(mutation);
        return (release, mutation);
    }

    /// <summary>Publishes <paramref name="mutation"/> and waits until its gate has an outcome.</summary>
    public static async Task<GateRecord> GateAsync(this GateTestHost host, MutationCompleted mutation)
    {
        await host.PublishAsync(mutation);
        return await host.WaitForGateAsync(mutation.MutationJobId);
    }

    /// <summary>
    /// Deploys r2 over r1 with a check that never answers (and a rollback that would not either). Returns the check
    /// request once the gate waits for its answer in HealthChecking and the mutation's transition is committed and delivered.
    /// </summary>
    public static async Task<(Deployment Deployment, HealthCheckRequested Check)> AwaitingCheckAsync(this GateTestHost host, SiteFixture site)
    {
        var deployment = await host.DeployAsync(site, [CheckAnswer.Silent], [RollbackAnswer.Silent]);
        await host.WaitForStateAsync(site.EnvironmentId, m => m.HealthChecking);
        var check = await host.SingleCheckRequestAsync();
        await host.HandledAsync<MutationCompleted>(m => m.MutationJobId == deployment.Mutation.MutationJobId);
        return (deployment, check);
    }

    /// <summary>
    /// Deploys r2 over r1 failing its check, with a rollback that never answers. Returns the rollback request once the
    /// gate waits for its answer in RollingBack and the failure's transition is committed and delivered.
    /// </summary>
    public static async Task<(Deployment Deployment, RollbackRequested Rollback)> RollingBackAsync(this GateTestHost host, SiteFixture site)
    {
        var deployment = await host.DeployAsync(site, [CheckAnswer.Fail], [RollbackAnswer.Silent]);
        await host.WaitForStateAsync(site.EnvironmentId, m => m.RollingBack);
        var rollback = await host.SingleRollbackRequestAsync();
        await host.HandledAsync<HealthCheckFailed>(m => m.EnvironmentId == site.EnvironmentId);
        return (deployment, rollback);
    }
}
