namespace Pressluft.Contracts;

/// <summary>The outcome of one health check.</summary>
public sealed record CheckResult
{
    /// <summary>Check name, one of <see cref="CheckNames"/>.</summary>
    public required string Check { get; init; }

    /// <summary>One of <see cref="CheckOutcomes"/>.</summary>
    public required string Outcome { get; init; }

    /// <summary>What was seen, e.g. <c>HTTP 500</c> or the command's error output (short, redacted).</summary>
    public string? Detail { get; init; }

    /// <summary>How many times it ran (a check is retried once before it counts as failed).</summary>
    public int Attempts { get; init; }

    /// <summary>Time spent on the check, all attempts together.</summary>
    public long DurationMs { get; init; }
}
