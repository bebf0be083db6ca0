using Pressluft.Contracts;

namespace Pressluft.Runner.Tests.Support;

internal static class Requests
{
    /// <summary>A deploy of <paramref name="release"/> to the world's site, completed now.</summary>
    public static MutationCompleted Mutation(AnsibleWorld world, ReleaseRef release, ReleaseRef? previous = null) => new()
    {
        MutationJobId = Guid.NewGuid(),
        JobType = JobTypes.EnvDeploy,
        SiteId = world.Site.SiteId,
        EnvironmentId = world.Site.EnvironmentId,
        Node = world.Site.Node,
        EnvironmentUrl = world.Server.Url.ToString(),
        Release = release,
        PreviousRelease = previous,
        CompletedAt = DateTimeOffset.UtcNow,
    };

    public static HealthCheckRequested Check(AnsibleWorld world, ReleaseRef release) => new()
    {
        JobId = Guid.NewGuid(),
        Purpose = HealthCheckPurposes.Gate,
        SiteId = world.Site.SiteId,
        EnvironmentId = world.Site.EnvironmentId,
        Node = world.Site.Node,
        EnvironmentUrl = world.Server.Url.ToString(),
        Release = release,
    };

    public static RollbackRequested Rollback(AnsibleWorld world, ReleaseRef from, ReleaseRef to) => new()
    {
        JobId = Guid.NewGuid(),
        SiteId = world.Site.SiteId,
        EnvironmentId = world.Site.EnvironmentId,
        Node = world.Site.Node,
        FromRelease = from,
        ToRelease = to,
        ReasonCode = ErrorCodes.HealthCheckFailed,
        Reason = "HEALTH_CHECK_FAILED: http (HTTP 500)",
    };
}
