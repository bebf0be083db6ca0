namespace Pressluft.Sagas.Gate;

/// <summary>Where the release-lifecycle saga goes after the gate has handled a message.</summary>
public enum GateStep
{
    /// <summary>Stay in the current state (ignored message, or a retry was scheduled).</summary>
    Stay,
    HealthChecking,
    RollingBack,
    VerifyingRollback,
    Active,
    Failed,
}
