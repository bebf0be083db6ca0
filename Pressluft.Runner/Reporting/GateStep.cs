namespace Pressluft.Runner.Reporting;

/// <summary>One thing the gate did, as the ledger recorded it: <see cref="Key"/> identifies it across polls.</summary>
public sealed record GateStep(string Key, DateTime At, string Text, string? Status = null);
