using Pressluft.Contracts;

namespace Pressluft.Runner.Ansible;

/// <summary>One inventory host of a run: one job against one environment of a node.</summary>
public sealed record PlaybookHost
{
    public required Guid JobId { get; init; }

    public required NodeRef Node { get; init; }

    /// <summary>The job's own variables; written as host variables into the 0600 YAML inventory, every value as data.</summary>
    public required IReadOnlyDictionary<string, object?> Variables { get; init; }

    /// <summary>The host's name in the inventory and in every result line: the job id, so results find their job.</summary>
    public string Alias => $"job_{JobId:N}";
}
