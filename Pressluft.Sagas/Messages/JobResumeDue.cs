using Pressluft.Contracts;

namespace Pressluft.Sagas.Messages;

/// <summary>
/// Sent to the saga itself when the embedded default starts: it was waiting for this job's answer when the process
/// stopped, and the request may have been lost with the in-memory queue it waited in. The request is sent again.
/// </summary>
public sealed record JobResumeDue : IJobAnswer
{
    public required Guid EnvironmentId { get; init; }
    public required Guid JobId { get; init; }
    public required int Attempt { get; init; }
}
