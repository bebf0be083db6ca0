namespace Pressluft.Contracts;

/// <summary>Event: a release's health changed.</summary>
public sealed record ReleaseHealthChanged
{
    /// <summary>The release.</summary>
    public required Guid ReleaseId { get; init; }

    /// <summary>Its environment.</summary>
    public required Guid EnvironmentId { get; init; }

    /// <summary>Its site.</summary>
    public required Guid SiteId { get; init; }

    /// <summary>Health before, one of <see cref="ReleaseHealth"/>.</summary>
    public required string From { get; init; }

    /// <summary>Health after.</summary>
    public required string To { get; init; }

    /// <summary>Why.</summary>
    public required string Reason { get; init; }

    /// <summary>The job that measured it, if any.</summary>
    public Guid? JobId { get; init; }

    /// <summary>When (UTC).</summary>
    public required DateTimeOffset ChangedAt { get; init; }
}
