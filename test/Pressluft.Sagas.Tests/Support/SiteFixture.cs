using Pressluft.Contracts;

namespace Pressluft.Sagas.Tests.Support;

/// <summary>A site with one environment and named releases, and the mutation events a deployer would publish for it.</summary>
public sealed class SiteFixture
{
    private DateTimeOffset _clock = DateTimeOffset.UtcNow;

    public Guid SiteId { get; } = Guid.NewGuid();
    public Guid EnvironmentId { get; } = Guid.NewGuid();
    public Guid NodeId { get; } = Guid.NewGuid();

    public ReleaseRef NewRelease(string name) => new() { Id = Guid.NewGuid(), Path = $"/var/www/sites/{SiteId}/releases/{name}" };

    public MutationCompleted Mutation(ReleaseRef release, ReleaseRef? previous = null, string jobType = JobTypes.EnvDeploy, DateTimeOffset? completedAt = null)
    {
        _clock = _clock.AddSeconds(1);
        return new MutationCompleted
        {
            MutationJobId = Guid.NewGuid(),
            JobType = jobType,
            SiteId = SiteId,
            SiteSlug = "shop",
            EnvironmentId = EnvironmentId,
            EnvironmentSlug = "production",
            EnvironmentType = "production",
            Node = new NodeRef { Id = NodeId, Hostname = "node-1.example.test", SshUser = "deploy" },
            EnvironmentUrl = "https://shop.example.test/",
            Release = release,
            PreviousRelease = previous,
            CompletedAt = completedAt ?? _clock,
        };
    }
}
