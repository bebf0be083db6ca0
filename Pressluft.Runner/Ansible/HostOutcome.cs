using Pressluft.Contracts;

namespace Pressluft.Runner.Ansible;

/// <summary>How one job's host ended in a run; reported once per host, as soon as it is known.</summary>
public sealed record HostOutcome
{
    public required Guid JobId { get; init; }

    public required HostStatus Status { get; init; }

    /// <summary>Every result of this host, in order.</summary>
    public IReadOnlyList<TaskResult> Results { get; init; } = [];

    /// <summary>
    /// The exit code that stands for this host: when it was reported during the run (its final result or recap arrived), the
    /// code ansible-playbook gives a run of this host alone (0 ok, 2 failed, 4 unreachable); when it was reported at the
    /// end, ansible-playbook's own exit code; null when the run was killed.
    /// </summary>
    public int? ExitCode { get; init; }

    /// <summary>Killed at the run's timeout before this host had an outcome.</summary>
    public bool TimedOut { get; init; }

    /// <summary>Reported from the host's final result, or its recap, while the run still went on.</summary>
    public bool Streamed { get; init; }

    /// <summary>The last 10 KB of this host's result lines and the run's other output, redacted.</summary>
    public required string OutputTail { get; init; }

    /// <summary>From the start of the run to this host's outcome.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>The result of <paramref name="action"/>, when the host got one.</summary>
    public TaskResult? ResultOf(string action) => Results.LastOrDefault(r => r.Action == action && r.Status != "skipped");

    /// <summary>The first failure of this host, when it had one.</summary>
    public TaskResult? Failure => Results.FirstOrDefault(r => r.Status is "failed" or "unreachable");

    /// <summary>The registry code for the outcome (or the timeout); null on success.</summary>
    public string? ErrorCode => TimedOut ? ErrorCodes.AnsibleTimeout : ErrorCodes.ForAnsibleExit(ExitCode ?? -1);

    /// <summary>A sentence describing how the host's part of the run ended.</summary>
    public string Describe(TimeSpan timeout) => (TimedOut, Streamed, ExitCode) switch
    {
        (true, _, _) => $"ansible-playbook killed after {timeout.TotalSeconds:0.#} s ({ErrorCodes.AnsibleTimeout})",
        (_, true, 0) => "the host's final task succeeded",
        (_, true, _) => $"the host's task ended {Status.ToString().ToLowerInvariant()} ({ErrorCode})",
        (_, _, null) => "ansible-playbook was stopped",
        (_, _, 0) => "ansible-playbook exited 0",
        _ => $"ansible-playbook exited {ExitCode} ({ErrorCode})",
    };
}
