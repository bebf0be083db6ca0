using System.ComponentModel.DataAnnotations;
using Pressluft.Contracts;

namespace Pressluft.Sagas.Gate;

/// <summary>
/// <c>Pressluft:HealthGate</c>: the guarded config and the gate's timing. Read through
/// <c>IOptionsMonitor</c> when each event is handled, so a change applies to the next gate without a restart.
/// </summary>
public sealed class HealthGateOptions
{
    public const string SectionName = "Pressluft:HealthGate";

    /// <summary>Per gated job type (<c>env_deploy</c>, ...): its mode. A job type not listed is enforced.</summary>
    public Dictionary<string, GatedOperationOptions> Operations { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How long one health check attempt may take before it counts as inconclusive.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan HealthCheckDeadline { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How long the rollback may take before the environment is failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan RollbackDeadline { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How many times an inconclusive health check is retried before it counts as failed.</summary>
    [Range(0, 10)]
    public int InconclusiveRetries { get; set; } = 2;

    /// <summary>Wait before retrying an inconclusive health check.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:30:00")]
    public TimeSpan InconclusiveRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>What an inconclusive check does once its retries are spent.</summary>
    public ExhaustedInconclusivePolicy WhenInconclusive { get; set; } = ExhaustedInconclusivePolicy.RollBack;

    /// <summary>The mode for <paramref name="jobType"/>, <see cref="GateModes.Enforce"/> when not configured.</summary>
    public GateMode ModeFor(string jobType) =>
        Operations.TryGetValue(jobType, out var operation) ? operation.Mode : GateMode.Enforce;
}

/// <summary><c>Pressluft:HealthGate:Operations:&lt;job_type&gt;</c>.</summary>
public sealed class GatedOperationOptions
{
    public GateMode Mode { get; set; } = GateMode.Enforce;
}

/// <summary>The guarded-config mode of a gated operation; names match <see cref="GateModes"/>.</summary>
public enum GateMode
{
    Enforce,
    ReportOnly,
    Disabled,
}

/// <summary>What an inconclusive health check leads to once its retries are spent.</summary>
public enum ExhaustedInconclusivePolicy
{
    /// <summary>Treat it as failed: mark the release unhealthy and roll back.</summary>
    RollBack,

    /// <summary>Hold the environment in <c>failed</c> for an operator; leave the release as it is.</summary>
    HoldFailed,
}
