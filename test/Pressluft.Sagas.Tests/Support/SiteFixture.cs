using Pressluft.Contracts;

namespace Pressluft.Sagas.Tests.Support;

/// <summary>A site with one environment and named releases, and the mutation events a deployer would publish for it.</summary>
public sealed class SiteFixture
{
    private readonly string _environment;
    private DateTimeOffset _clock = DateTimeOffset.UtcNow;

    public SiteFixture()
        : this(Guid.NewGuid(), Guid.NewGuid(), "production")
    {
    }

    private SiteFixture(Guid siteId, Guid nodeId, string environment)
    {
        SiteId = siteId;
        NodeId = nodeId;
        _environment = environment;
    }

    public Guid SiteId { get; }
    public Guid EnvironmentId { get; } = Guid.NewGuid();
    public Guid NodeId { get; }

    /// <summary>Another environment of the same site on the same node (<c>staging</c> or <c>clone</c>), with releases and mutations of its own.</summary>
    public SiteFixture OtherEnvironment(string environmentType) => new(SiteId, NodeId, environmentType);

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
            EnvironmentSlug = _environment,
            EnvironmentType = _environment,
            Node = new NodeRef { Id = NodeId, Hostname = "node-1.example.test", SshUser = "deploy" },
            EnvironmentUrl = "https://shop.example.test/",
            Release = release,
            PreviousRelease = previous,
            CompletedAt = completedAt ?? _clock,
        };
    }
}
