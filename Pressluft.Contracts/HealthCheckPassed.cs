namespace Pressluft.Contracts;

/// <summary>Every required check passed.</summary>
public sealed record HealthCheckPassed : IJobAnswer
{
    /// <summary>The <c>health_check</c> job this answers.</summary>
    public required Guid JobId { get; init; }

    /// <summary>The attempt this answers.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>The environment's id.</summary>
    public required Guid EnvironmentId { get; init; }

    /// <summary>Per-check results.</summary>
    public IReadOnlyList<CheckResult> Checks { get; init; } = [];

    /// <summary>When the check finished (UTC).</summary>
    public required DateTimeOffset CompletedAt { get; init; }
}
