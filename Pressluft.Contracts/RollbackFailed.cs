namespace Pressluft.Contracts;

/// <summary>The rollback playbook failed or refused its target.</summary>
public sealed record RollbackFailed : IJobAnswer
{
    /// <summary>The <c>release_rollback</c> job this answers.</summary>
    public required Guid JobId { get; init; }

    /// <summary>The attempt this answers; a rollback has one.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>The environment's id.</summary>
    public required Guid EnvironmentId { get; init; }

    /// <summary>The structured error.</summary>
    public required JobError Error { get; init; }

    /// <summary>When the rollback finished (UTC).</summary>
    public required DateTimeOffset CompletedAt { get; init; }
}
