namespace Pressluft.Contracts;

/// <summary>
/// Published by the services that mutate an environment (deploy, restore, promote) once the mutation job has
/// finished and the new release is live. This service then gates that release.
/// </summary>
public sealed record MutationCompleted : IEnvironmentMessage
{
    /// <summary>The mutation job's id (UUID); a second event with the same id is a duplicate.</summary>
    public required Guid MutationJobId { get; init; }

    /// <summary><see cref="JobTypes.EnvDeploy"/>, <see cref="JobTypes.EnvRestore"/> or <see cref="JobTypes.EnvPromote"/>.</summary>
    public required string JobType { get; init; }

    /// <summary>The site's id.</summary>
    public required Guid SiteId { get; init; }

    /// <summary>The site's slug, for Ansible's extra-vars.</summary>
    public string? SiteSlug { get; init; }

    /// <summary>The mutated environment's id; the gate is keyed by it.</summary>
    public required Guid EnvironmentId { get; init; }

    /// <summary>The environment's slug, for Ansible's extra-vars.</summary>
    public string? EnvironmentSlug { get; init; }

    /// <summary><c>production</c>, <c>staging</c> or <c>clone</c>.</summary>
    public string EnvironmentType { get; init; } = "production";

    /// <summary>The node the environment runs on.</summary>
    public required NodeRef Node { get; init; }

    /// <summary>The URL the HTTP check requests: the primary domain (https) or the preview URL.</summary>
    public required string EnvironmentUrl { get; init; }

    /// <summary>The release that is live now, after the mutation.</summary>
    public required ReleaseRef Release { get; init; }

    /// <summary>The release that was live before the mutation, when the publisher knows it.</summary>
    public ReleaseRef? PreviousRelease { get; init; }

    /// <summary>When the mutation job finished (UTC).</summary>
    public required DateTimeOffset CompletedAt { get; init; }

    /// <summary>A backup taken before the mutation, when there is one (room for a database rollback later).</summary>
    public string? BackupReference { get; init; }
}
