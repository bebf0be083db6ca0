namespace Pressluft.Runner.Ansible;

/// <summary>How a whole run ended; each host's own outcome is in <see cref="Hosts"/>.</summary>
public sealed record PlaybookOutcome
{
    /// <summary>ansible-playbook's exit code; null when it was killed.</summary>
    public int? ExitCode { get; init; }

    public bool TimedOut { get; init; }

    /// <summary>The last 10 KB of the run's output, redacted.</summary>
    public required string OutputTail { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>Whether ansible-playbook was started before the run (preloaded) rather than for it.</summary>
    public bool Preloaded { get; init; }

    /// <summary>One outcome per host, in the run's order.</summary>
    public required IReadOnlyList<HostOutcome> Hosts { get; init; }
}
