using Pressluft.Contracts;

namespace Pressluft.Sagas.Messages;

/// <summary>Scheduled to the saga itself: the backoff after an inconclusive health check is over.</summary>
public sealed record HealthCheckRetryDue : IJobAnswer
{
    public required Guid EnvironmentId { get; init; }
    public required Guid JobId { get; init; }
    public required int Attempt { get; init; }
}
