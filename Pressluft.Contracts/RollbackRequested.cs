namespace Pressluft.Contracts;

/// <summary>Asks a runner to run <c>release-rollback.yml</c>: point <c>current</c> back at <see cref="ToRelease"/>.</summary>
public sealed record RollbackRequested
{
    /// <summary>The <c>release_rollback</c> job's id; answers carry it back.</summary>
    public required Guid JobId { get; init; }

    /// <summary>The site's id.</summary>
    public required Guid SiteId { get; init; }

    /// <summary>The site's slug.</summary>
    public string? SiteSlug { get; init; }

    /// <summary>The environment's id.</summary>
    public required Guid EnvironmentId { get; init; }

    /// <summary>
    /// A runner does not start the job after this time (UTC): the gate has stopped waiting for it by then, so the runner
    /// answers that it expired instead. Null: no limit.
    /// </summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The environment's slug.</summary>
    public string? EnvironmentSlug { get; init; }

    /// <summary>The environment's type.</summary>
    public string EnvironmentType { get; init; } = "production";

    /// <summary>The node to change.</summary>
    public required NodeRef Node { get; init; }

    /// <summary>The unhealthy release being left; the playbook refuses to act if <c>current</c> no longer points at it.</summary>
    public required ReleaseRef FromRelease { get; init; }

    /// <summary>The release to restore.</summary>
    public required ReleaseRef ToRelease { get; init; }

    /// <summary>Why, as a registered error code (<see cref="ErrorCodes"/>); the playbook writes it into the marker file of the release being left.</summary>
    public required string ReasonCode { get; init; }

    /// <summary>Why, in a sentence for the ledger and the logs. Never handed to Ansible: it may quote a node's output.</summary>
    public required string Reason { get; init; }

    /// <summary>The mutation job whose gate asked for the rollback; the playbook writes it into the marker file.</summary>
    public Guid? MutationJobId { get; init; }

    /// <summary>The pre-mutation backup, when there is one (not yet used by the playbook).</summary>
    public string? BackupReference { get; init; }
}
