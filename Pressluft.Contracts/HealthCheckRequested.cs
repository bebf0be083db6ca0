namespace Pressluft.Contracts;

/// <summary>Asks a runner to run <c>health-check.yml</c> against an environment's live release.</summary>
public sealed record HealthCheckRequested
{
    /// <summary>The <c>health_check</c> job's id; answers carry it back.</summary>
    public required Guid JobId { get; init; }

    /// <summary>Which attempt of the job this is (1-based); an inconclusive attempt may be retried.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>Why: <c>gate</c> after a mutation, or <c>verify-rollback</c> after a rollback.</summary>
    public required string Purpose { get; init; }

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

    /// <summary>The node to check.</summary>
    public required NodeRef Node { get; init; }

    /// <summary>The URL the HTTP check requests.</summary>
    public required string EnvironmentUrl { get; init; }

    /// <summary>The release expected to be live.</summary>
    public required ReleaseRef Release { get; init; }
}

/// <summary>Values of <see cref="HealthCheckRequested.Purpose"/>.</summary>
public static class HealthCheckPurposes
{
    /// <summary>The check after a mutation.</summary>
    public const string Gate = "gate";

    /// <summary>The check of the restored release after a rollback.</summary>
    public const string VerifyRollback = "verify-rollback";
}
