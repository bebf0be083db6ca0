namespace Pressluft.Contracts;

/// <summary>Release health (<c>releases.health_status</c>) and its allowed transitions.</summary>
public static class ReleaseHealth
{
    /// <summary>Not checked yet.</summary>
    public const string Unknown = "unknown";

    /// <summary>Every required check passed.</summary>
    public const string Healthy = "healthy";

    /// <summary>A required check failed; terminal, and never a rollback target again.</summary>
    public const string Unhealthy = "unhealthy";

    /// <summary>
    /// Whether health may move from <paramref name="from"/> to <paramref name="to"/>:
    /// unknown to healthy or unhealthy, healthy to unhealthy; unhealthy is terminal.
    /// </summary>
    public static bool CanTransition(string from, string to) => (from, to) switch
    {
        (Unknown, Healthy) => true,
        (Unknown, Unhealthy) => true,
        (Healthy, Unhealthy) => true,
        _ => false,
    };
}
