namespace Pressluft.Runner.Ansible;

/// <summary>
/// One ansible-playbook run: one playbook for one or more inventory hosts, one per job (several environments of one
/// node may share a run, each with its own variables and its own outcome).
/// </summary>
public sealed record PlaybookRun
{
    /// <summary>File name under <c>ansible/playbooks/</c>.</summary>
    public required string Playbook { get; init; }

    /// <summary>The inventory hosts, one per job; each job id at most once.</summary>
    public required IReadOnlyList<PlaybookHost> Hosts { get; init; }

    /// <summary>Variables the same for every host (configuration); written to the 0600 extra-vars file as data.</summary>
    public IReadOnlyDictionary<string, object?> SharedVariables { get; init; } = new Dictionary<string, object?>();

    /// <summary>After this the whole process tree is killed; a host without an outcome by then is reported timed out.</summary>
    public required TimeSpan Timeout { get; init; }

    /// <summary>
    /// The module (FQCN) whose result ends a host's part of the run: that host's outcome is reported the moment the
    /// result arrives, while other hosts still run. Null: every host's outcome is reported when the run ends.
    /// </summary>
    public string? FinalAction { get; init; }
}
