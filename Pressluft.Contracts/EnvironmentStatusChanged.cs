namespace Pressluft.Contracts;

/// <summary>Event: an environment's status changed.</summary>
public sealed record EnvironmentStatusChanged
{
    /// <summary>The environment.</summary>
    public required Guid EnvironmentId { get; init; }

    /// <summary>Its site.</summary>
    public required Guid SiteId { get; init; }

    /// <summary>Status before, one of <see cref="EnvironmentStatuses"/>.</summary>
    public required string From { get; init; }

    /// <summary>Status after.</summary>
    public required string To { get; init; }

    /// <summary>Why.</summary>
    public required string Reason { get; init; }

    /// <summary>The release live after the change.</summary>
    public Guid? CurrentReleaseId { get; init; }

    /// <summary>When (UTC).</summary>
    public required DateTimeOffset ChangedAt { get; init; }
}
