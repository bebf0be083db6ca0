namespace Pressluft.Contracts;

/// <summary>Names of the health checks, as they appear in <see cref="CheckResult.Check"/>.</summary>
public static class CheckNames
{
    /// <summary>GET of the environment URL must answer 200.</summary>
    public const string Http = "http";

    /// <summary><c>wp core is-installed</c> succeeds in the release.</summary>
    public const string WordPressInstalled = "wp_core_installed";

    /// <summary>A trivial query through WP-CLI succeeds.</summary>
    public const string Database = "db_connectivity";

    /// <summary>Optional: the page body contains no PHP fatal markers.</summary>
    public const string FatalMarkers = "fatal_markers";

    /// <summary>The checks a release must pass to be healthy: a result without one of them measured nothing about it.</summary>
    public static IReadOnlyList<string> Required { get; } = [Http, WordPressInstalled, Database];
}

/// <summary>Outcomes of one check.</summary>
public static class CheckOutcomes
{
    /// <summary>Measured and good.</summary>
    public const string Passed = "passed";

    /// <summary>Measured and bad.</summary>
    public const string Failed = "failed";

    /// <summary>Not run (disabled, or an earlier check made it meaningless).</summary>
    public const string Skipped = "skipped";

    /// <summary>Could not be measured: the attempt ran out of time, got no answer, or crashed. Never a failure by itself.</summary>
    public const string Inconclusive = "inconclusive";
}

/// <summary>Verdicts of a health check job.</summary>
public static class HealthVerdicts
{
    /// <summary>Every required check passed.</summary>
    public const string Passed = "passed";

    /// <summary>A required check was measured and bad: roll back now.</summary>
    public const string Failed = "failed";

    /// <summary>Could not measure (host unreachable, playbook error, timeout): retried a bounded number of times.</summary>
    public const string Inconclusive = "inconclusive";
}
