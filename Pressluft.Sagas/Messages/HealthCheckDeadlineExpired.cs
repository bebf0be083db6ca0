using Pressluft.Contracts;

namespace Pressluft.Sagas.Messages;

/// <summary>Scheduled to the saga itself: no health check answer arrived for this job attempt in time.</summary>
public sealed record HealthCheckDeadlineExpired : IJobAnswer
{
    public required Guid EnvironmentId { get; init; }
    public required Guid JobId { get; init; }
    public required int Attempt { get; init; }
}
