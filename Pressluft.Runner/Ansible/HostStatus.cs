namespace Pressluft.Runner.Ansible;

/// <summary>How one inventory host's part of a run ended.</summary>
public enum HostStatus
{
    /// <summary>No task of this host failed.</summary>
    Ok,

    /// <summary>A task failed on the host (its module said so, or crashed).</summary>
    Failed,

    /// <summary>Ansible could not reach the host.</summary>
    Unreachable,

    /// <summary>No result arrived for the host: the run failed before it, or was killed.</summary>
    NoResult,
}
