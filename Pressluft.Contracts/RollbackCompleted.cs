namespace Pressluft.Contracts;

/// <summary><c>current</c> now points at the restored release.</summary>
public sealed record RollbackCompleted : IJobAnswer
{
    /// <summary>The <c>release_rollback</c> job this answers.</summary>
    public required Guid JobId { get; init; }

    /// <summary>The attempt this answers; a rollback has one.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>The environment's id.</summary>
    public required Guid EnvironmentId { get; init; }

    /// <summary>The release that was left.</summary>
    public required Guid FromReleaseId { get; init; }

    /// <summary>The release now live.</summary>
    public required Guid ToReleaseId { get; init; }

    /// <summary>When the rollback finished (UTC).</summary>
    public required DateTimeOffset CompletedAt { get; init; }
}
