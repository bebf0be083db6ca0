using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Pressluft.Contracts;

namespace Pressluft.Sagas.Gate;

/// <summary>
/// <c>Pressluft:HealthGate</c>: the guarded config and the gate's timing. <see cref="GuardedConfig"/> holds the values
/// in force: checked at start (a bad value stops the service) and on every reload (a bad value is refused and the
/// previous values stay), so a change applies to the next gate without a restart.
/// </summary>
public sealed class HealthGateOptions
{
    public const string SectionName = "Pressluft:HealthGate";

    /// <summary>Per gated job type (<c>env_deploy</c>, ...): its mode. A job type not listed is enforced.</summary>
    public Dictionary<string, GatedOperationOptions> Operations { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// How long a job request may wait for a runner. A runner does not start it later (it answers that it expired), so a
    /// backlog delays verdicts but never changes them, and the gate never waits on work it has given up on.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a health check attempt may run once a runner starts it; the gate waits <see cref="QueueTimeout"/> longer.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan HealthCheckDeadline { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How long the rollback may run once a runner starts it; the gate waits <see cref="QueueTimeout"/> longer.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan RollbackDeadline { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How many times an inconclusive health check is retried before it counts as failed.</summary>
    [Range(0, 10)]
    public int InconclusiveRetries { get; set; } = 2;

    /// <summary>Wait before retrying an inconclusive health check.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:30:00")]
    public TimeSpan InconclusiveRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>What an inconclusive check does once its retries are spent: hold the environment failed (default) or roll back.</summary>
    public ExhaustedInconclusivePolicy WhenInconclusive { get; set; } = ExhaustedInconclusivePolicy.HoldFailed;

    /// <summary>How far in the future a mutation's <c>completedAt</c> may lie (publishers' clocks drift a little).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ClockSkewAllowance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The mode for <paramref name="jobType"/>, <see cref="GateMode.Enforce"/> when not configured.</summary>
    public GateMode ModeFor(string jobType) =>
        Operations.TryGetValue(jobType, out var operation) && TryParseMode(operation.Mode, out var mode) ? mode : GateMode.Enforce;

    /// <summary>Every problem with these values, each naming its configuration key; empty when they are good.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var (jobType, operation) in Operations.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            var key = $"{SectionName}:Operations:{jobType}";
            if (!JobTypes.IsGated(jobType))
            {
                problems.Add($"{key} names a job type that is not gated (expected one of {string.Join(", ", JobTypes.Gated)})");
            }

            if (!TryParseMode(operation.Mode, out _))
            {
                problems.Add($"{key}:Mode is '{operation.Mode}'; expected exactly {GateModes.Enforce}, {GateModes.ReportOnly} or {GateModes.Disabled}");
            }
        }

        var results = new List<ValidationResult>();
        Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true);
        problems.AddRange(results.Select(r => $"{SectionName}:{string.Join(", ", r.MemberNames)}: {r.ErrorMessage}"));
        if (!Enum.IsDefined(WhenInconclusive))
        {
            problems.Add($"{SectionName}:WhenInconclusive is {((int)WhenInconclusive).ToString(CultureInfo.InvariantCulture)}; expected HoldFailed or RollBack");
        }

        return problems;
    }

    /// <summary>The modes in force, one per gated job type, for the log.</summary>
    public string DescribeModes() => string.Join(", ", JobTypes.Gated.Select(t => $"{t}={ModeFor(t)}"));

    // Exact names only: a case slip such as "Reportonly" is as likely a typo as "Disable", and the operator must hear of it.
    private static bool TryParseMode(string? value, out GateMode mode)
    {
        mode = value switch
        {
            GateModes.Enforce => GateMode.Enforce,
            GateModes.ReportOnly => GateMode.ReportOnly,
            GateModes.Disabled => GateMode.Disabled,
            _ => (GateMode)(-1),
        };
        return Enum.IsDefined(mode);
    }
}

/// <summary><c>Pressluft:HealthGate:Operations:&lt;job_type&gt;</c>.</summary>
public sealed class GatedOperationOptions
{
    /// <summary><c>Enforce</c>, <c>ReportOnly</c> or <c>Disabled</c>, spelled exactly.</summary>
    public string Mode { get; set; } = GateModes.Enforce;
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
    /// <summary>Hold the environment in <c>failed</c> for an operator with the check's code; leave the release as it is.</summary>
    HoldFailed,

    /// <summary>Roll back to the prior healthy release; the release that could not be checked stays <c>unknown</c>.</summary>
    RollBack,
}
