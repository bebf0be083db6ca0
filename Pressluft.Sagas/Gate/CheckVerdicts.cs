using Pressluft.Contracts;

namespace Pressluft.Sagas.Gate;

/// <summary>
/// What a health check that did not pass means for the gate. Three verdicts: passed, failed (measured and bad) and
/// inconclusive (nothing measured). An inconclusive check is retried while attempts are left; once they are spent the
/// environment is held failed for an operator, or, when configured (<see cref="HealthGateOptions.WhenInconclusive"/>),
/// rolled back; either way the release is never marked unhealthy on a verdict that measured nothing. A job a runner
/// refused (JOB_REJECTED) measured nothing and would be refused again: never retried, never acted on.
/// </summary>
public static class CheckVerdicts
{
    /// <summary>The code the check's job fails with.</summary>
    public static string CodeFor(HealthCheckFailed answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return answer.Verdict == HealthVerdicts.Failed ? ErrorCodes.HealthCheckFailed
            : answer.Error.Code is ErrorCodes.HealthCheckTimeout or ErrorCodes.JobRejected ? answer.Error.Code
            : ErrorCodes.HealthCheckInconclusive;
    }

    /// <summary>Whether to try the check again: inconclusive, not refused, and attempts left.</summary>
    public static bool MayRetry(HealthCheckFailed answer, int attempt, HealthGateOptions settings)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(settings);
        return answer.Verdict != HealthVerdicts.Failed && !Refused(answer) && attempt <= settings.InconclusiveRetries;
    }

    /// <summary>Whether the check measured the release and found it bad: only then is a release marked unhealthy.</summary>
    public static bool MeasuredBad(HealthCheckFailed answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return answer.Verdict == HealthVerdicts.Failed;
    }

    /// <summary>
    /// Whether the gate acts on a check that did not pass (roll back, or report): always when it measured the release
    /// bad; for a check that measured nothing only when configured to roll back (the default holds the environment for
    /// an operator), and never for a job a runner refused.
    /// </summary>
    public static bool GateActs(HealthCheckFailed answer, HealthGateOptions settings)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(settings);
        return MeasuredBad(answer) || (!Refused(answer) && settings.WhenInconclusive == ExhaustedInconclusivePolicy.RollBack);
    }

    private static bool Refused(HealthCheckFailed answer) => answer.Error.Code == ErrorCodes.JobRejected;
}
