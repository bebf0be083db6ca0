namespace Pressluft.Runner.Commands;

/// <summary>The ledger a verb wants to read does not exist yet or is not migrated: an expected first-run state, not a fault.</summary>
public sealed class LedgerNotReadyException(string message) : Exception(message);
