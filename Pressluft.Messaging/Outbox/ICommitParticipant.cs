namespace Pressluft.Messaging.Outbox;

/// <summary>
/// A part of a message's unit of work that finishes inside its transaction: after the staged changes are written and
/// before they commit, so it can read other transactions' committed rows under a lock (a site's status follows every
/// one of its environments, whichever transaction changed them).
/// </summary>
public interface ICommitParticipant
{
    /// <summary>Whether this unit of work gave it anything to do (most do not, and then commit in one step).</summary>
    bool HasWork { get; }

    /// <summary>
    /// Finishes its work with statements of its own, inside the transaction. What it stages on the change tracker here is
    /// not saved: the staged changes were written before it runs, and the commit follows.
    /// </summary>
    Task BeforeCommitAsync(CancellationToken cancellationToken);
}
