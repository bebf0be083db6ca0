namespace Pressluft.Contracts;

/// <summary>A health check did not pass: measured bad (<c>failed</c>) or not measured (<c>inconclusive</c>).</summary>
public sealed record HealthCheckFailed : IJobAnswer
{
    /// <summary>The <c>health_check</c> job this answers.</summary>
    public required Guid JobId { get; init; }

    /// <summary>The attempt this answers.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>The environment's id.</summary>
    public required Guid EnvironmentId { get; init; }

    /// <summary><see cref="HealthVerdicts.Failed"/> or <see cref="HealthVerdicts.Inconclusive"/>.</summary>
    public required string Verdict { get; init; }

    /// <summary>The structured error, with per-check results in its details.</summary>
    public required JobError Error { get; init; }

    /// <summary>When the check finished (UTC).</summary>
    public required DateTimeOffset CompletedAt { get; init; }
}
