namespace Pressluft.Contracts;

/// <summary>Operator command: return a <c>failed</c> environment to <c>active</c>. Ignored in any other state.</summary>
public sealed record ResetEnvironment : IEnvironmentMessage
{
    /// <summary>The environment's id.</summary>
    public required Guid EnvironmentId { get; init; }

    /// <summary>Who asked (recorded).</summary>
    public required string RequestedBy { get; init; }

    /// <summary>Why (recorded).</summary>
    public string? Reason { get; init; }

    /// <summary>When it was asked (UTC).</summary>
    public required DateTimeOffset RequestedAt { get; init; }
}
