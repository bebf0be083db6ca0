namespace Pressluft.Contracts;

/// <summary>Event: the health gate of one mutation has ended.</summary>
public sealed record GateCompleted
{
    /// <summary>The gated mutation job.</summary>
    public required Guid MutationJobId { get; init; }

    /// <summary>Its type.</summary>
    public required string MutationJobType { get; init; }

    /// <summary>The environment.</summary>
    public required Guid EnvironmentId { get; init; }

    /// <summary>Its site.</summary>
    public required Guid SiteId { get; init; }

    /// <summary>The release the mutation made live.</summary>
    public required Guid ReleaseId { get; init; }

    /// <summary>The guarded-config mode the gate ran under, one of <see cref="GateModes"/>.</summary>
    public required string Mode { get; init; }

    /// <summary>How it ended, one of <see cref="GateOutcomes"/>.</summary>
    public required string Outcome { get; init; }

    /// <summary>The error code when the outcome is not a pass.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>The release live when the gate ended.</summary>
    public Guid? CurrentReleaseId { get; init; }

    /// <summary>The environment's status when the gate ended.</summary>
    public required string EnvironmentStatus { get; init; }

    /// <summary>When (UTC).</summary>
    public required DateTimeOffset CompletedAt { get; init; }
}

/// <summary>Guarded-config modes of a gated operation.</summary>
public static class GateModes
{
    /// <summary>Check, and roll back on failure (the default).</summary>
    public const string Enforce = "Enforce";

    /// <summary>Check and record health; never roll back.</summary>
    public const string ReportOnly = "ReportOnly";

    /// <summary>No check; the gate records that it was skipped.</summary>
    public const string Disabled = "Disabled";
}

/// <summary>How a gate ended.</summary>
public static class GateOutcomes
{
    /// <summary>The release passed; the environment is active.</summary>
    public const string Passed = "passed";

    /// <summary>The release failed, the prior release was restored and verified; the environment is active.</summary>
    public const string RolledBack = "rolled_back";

    /// <summary>The gate could not restore a healthy release; the environment is failed.</summary>
    public const string Failed = "failed";

    /// <summary>ReportOnly: the release failed and was recorded unhealthy, nothing rolled back.</summary>
    public const string Reported = "reported";

    /// <summary>Disabled: no check ran.</summary>
    public const string Skipped = "skipped";

    /// <summary>A newer mutation replaced the gate.</summary>
    public const string Superseded = "superseded";

    /// <summary>The mutation contradicted the ledger: recorded with the reason, nothing checked or changed.</summary>
    public const string Rejected = "rejected";
}
