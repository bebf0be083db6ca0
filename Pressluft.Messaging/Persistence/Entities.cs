namespace Pressluft.Messaging.Persistence;

// The ledger's rows. Upstream columns are kept (ids are UUIDs, timestamps UTC); columns are snake_case in the database.

public sealed class SiteRecord
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public string Slug { get; set; } = "";
    public string Status { get; set; } = "";
    public Guid? PrimaryEnvironmentId { get; set; }
    public int StateVersion { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public sealed class EnvironmentRecord
{
    public Guid Id { get; set; }
    public Guid SiteId { get; set; }
    public string Slug { get; set; } = "";
    public string EnvironmentType { get; set; } = "";
    public string Status { get; set; } = "";
    public Guid NodeId { get; set; }
    public string? PreviewUrl { get; set; }
    public Guid? PrimaryDomainId { get; set; }
    public Guid? CurrentReleaseId { get; set; }
    public int StateVersion { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public sealed class ReleaseRecord
{
    public Guid Id { get; set; }
    public Guid EnvironmentId { get; set; }
    public string SourceType { get; set; } = "";
    public string? SourceRef { get; set; }
    public string Path { get; set; } = "";
    public string HealthStatus { get; set; } = "";
    public DateTime CreatedAt { get; set; }
}

public sealed class ReleaseHealthTransitionRecord
{
    public long Id { get; set; }
    public Guid ReleaseId { get; set; }
    public string FromStatus { get; set; } = "";
    public string ToStatus { get; set; } = "";
    public string Reason { get; set; } = "";
    public Guid? JobId { get; set; }
    public DateTime At { get; set; }
}

public sealed class EnvironmentStatusChangeRecord
{
    public long Id { get; set; }
    public Guid EnvironmentId { get; set; }
    public string FromStatus { get; set; } = "";
    public string ToStatus { get; set; } = "";
    public string Reason { get; set; } = "";
    public DateTime At { get; set; }
}

public sealed class JobRecord
{
    public Guid Id { get; set; }
    public string JobType { get; set; } = "";
    public string Status { get; set; } = "";
    public Guid SiteId { get; set; }
    public Guid EnvironmentId { get; set; }
    public Guid NodeId { get; set; }

    /// <summary>The mutation job whose gate created this job.</summary>
    public Guid? MutationJobId { get; set; }

    public string PayloadJson { get; set; } = "{}";
    public int AttemptCount { get; set; }
    public int MaxAttempts { get; set; }
    public DateTime RunAfter { get; set; }
    public DateTime? LockedAt { get; set; }
    public string? LockedBy { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public string? ErrorCode { get; set; }
    public string? ErrorMessage { get; set; }

    /// <summary>The structured error: <c>{ code, message, retryable, details: { checks, exitCode, ansibleCode, outputTail } }</c>.</summary>
    public string? ErrorJson { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>One health gate: which mutation, which release, the guarded-config mode it ran under, how it ended.</summary>
public sealed class GateRecord
{
    public Guid MutationJobId { get; set; }
    public string MutationJobType { get; set; } = "";
    public Guid SiteId { get; set; }
    public Guid EnvironmentId { get; set; }
    public Guid ReleaseId { get; set; }
    public string Mode { get; set; } = "";
    public string? Outcome { get; set; }
    public string? ErrorCode { get; set; }

    /// <summary>Why it ended so, in one sentence (for a rejected mutation: what contradicts the ledger).</summary>
    public string? Reason { get; set; }

    public DateTime StartedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
}
