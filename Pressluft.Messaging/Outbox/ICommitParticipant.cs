using Pressluft.Messaging.Persistence;

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
    /// The statements that finish its work, in order; the unit of work takes them just before its commit and runs them
    /// inside its transaction after the staged changes are written (on PostgreSQL in the same round trip as the inbox and
    /// outbox rows). Taking them clears the work.
    /// </summary>
    IReadOnlyList<CommitStatement> TakeStatements(LedgerDialect dialect);
}

/// <summary>One SQL statement, its values as <c>{0}</c>, <c>{1}</c>, ... placeholders (as <c>ExecuteSqlRaw</c> takes them).</summary>
public sealed record CommitStatement(string Sql, object[] Values);
