namespace Pressluft.Contracts;

/// <summary>A structured job error, as stored with a failed job.</summary>
public sealed record JobError
{
    /// <summary>A registered code from <see cref="ErrorCodes"/>.</summary>
    public required string Code { get; init; }

    /// <summary>A sentence for operators.</summary>
    public required string Message { get; init; }

    /// <summary>Whether retrying the same job may help.</summary>
    public bool Retryable { get; init; }

    /// <summary>Per-check results, exit code and output tail; empty when there is nothing more to say.</summary>
    public JobErrorDetails Details { get; init; } = new();
}

/// <summary>The details of a <see cref="JobError"/>.</summary>
public sealed record JobErrorDetails
{
    /// <summary>Per-check results of a health check (empty for other jobs).</summary>
    public IReadOnlyList<CheckResult> Checks { get; init; } = [];

    /// <summary>ansible-playbook's exit code, when it ran.</summary>
    public int? ExitCode { get; init; }

    /// <summary>The Ansible error code the exit or timeout maps to, when the job code is a higher-level one.</summary>
    public string? AnsibleCode { get; init; }

    /// <summary>The last 10 KB of playbook output, secret-like values redacted.</summary>
    public string? OutputTail { get; init; }
}
