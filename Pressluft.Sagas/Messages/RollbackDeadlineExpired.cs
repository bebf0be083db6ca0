using Pressluft.Contracts;

namespace Pressluft.Sagas.Messages;

/// <summary>Scheduled to the saga itself: no rollback answer arrived for this job in time.</summary>
public sealed record RollbackDeadlineExpired : IJobAnswer
{
    public required Guid EnvironmentId { get; init; }
    public required Guid JobId { get; init; }

    public int Attempt { get; init; } = 1;
}
