namespace Pressluft.Contracts;

/// <summary>
/// An answer about one attempt of one job (a runner's report, or a deadline the gate set itself). The gate acts on an
/// answer only while it waits for exactly that job and attempt; any other is stale.
/// </summary>
public interface IJobAnswer : IEnvironmentMessage
{
    /// <summary>The job this answers.</summary>
    Guid JobId { get; }

    /// <summary>The attempt this answers (1-based).</summary>
    int Attempt { get; }
}
