using Pressluft.Contracts;

namespace Pressluft.Runner.Ansible;

/// <summary>One playbook run for one job.</summary>
public sealed record PlaybookRequest
{
    public required Guid JobId { get; init; }

    /// <summary>File name under <c>ansible/playbooks/</c>.</summary>
    public required string Playbook { get; init; }

    public required NodeRef Node { get; init; }

    /// <summary>Flat, underscore-separated extra-vars; written to a 0600 JSON file, never to the command line.</summary>
    public required IReadOnlyDictionary<string, object?> ExtraVars { get; init; }

    /// <summary>The extra-var the playbook reads the result file path from.</summary>
    public required string ResultVariable { get; init; }

    /// <summary>After this the whole process tree is killed.</summary>
    public required TimeSpan Timeout { get; init; }
}

/// <summary>How a playbook run ended.</summary>
public sealed record PlaybookOutcome
{
    /// <summary>ansible-playbook's exit code; null when it was killed.</summary>
    public int? ExitCode { get; init; }

    public bool TimedOut { get; init; }

    /// <summary>The last 10 KB of output, redacted.</summary>
    public required string OutputTail { get; init; }

    /// <summary>The JSON the playbook wrote to its result file, if it wrote one.</summary>
    public string? ResultJson { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>The registry code for the exit (or the timeout); null on exit 0.</summary>
    public string? ErrorCode => TimedOut ? ErrorCodes.AnsibleTimeout : ErrorCodes.ForAnsibleExit(ExitCode ?? -1);

    /// <summary>A sentence describing how the process ended.</summary>
    public string Describe(TimeSpan timeout) => TimedOut
        ? $"ansible-playbook killed after {timeout.TotalSeconds:0.#} s ({ErrorCodes.AnsibleTimeout})"
        : ExitCode == 0 ? "ansible-playbook exited 0" : $"ansible-playbook exited {ExitCode} ({ErrorCode})";
}
