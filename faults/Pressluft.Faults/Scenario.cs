namespace Pressluft.Faults;

/// <summary>One fault of issue 9: how to run it, what it injects (for the line printed when it cannot even start), its time limit at scale 1.</summary>
internal sealed record Scenario(int Number, Func<int, string> Injected, TimeSpan Limit, Func<Stack, int, CancellationToken, Task<Report>> Run);
