namespace Pressluft.Contracts;

/// <summary>A runner has picked up a <c>health_check</c> or <c>release_rollback</c> job.</summary>
public sealed record JobStarted : IJobAnswer
{
    /// <summary>The job's id.</summary>
    public required Guid JobId { get; init; }

    /// <summary>The attempt that started.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>The environment's id.</summary>
    public required Guid EnvironmentId { get; init; }

    /// <summary>The job's type.</summary>
    public required string JobType { get; init; }

    /// <summary>Which runner took it (host name and process id).</summary>
    public required string Worker { get; init; }

    /// <summary>When it started (UTC).</summary>
    public required DateTimeOffset StartedAt { get; init; }
}
