using Pressluft.Contracts;

namespace Pressluft.Sagas.Gate;

/// <summary>
/// What a health check that did not pass means for the gate. Three verdicts: passed, failed (measured and bad) and
/// inconclusive (nothing measured). An inconclusive check is retried while attempts are left; once they are spent it
/// counts as failed or holds the environment for an operator (<see cref="HealthGateOptions.WhenInconclusive"/>). A job
/// a runner refused (JOB_REJECTED) measured nothing and would be refused again: never retried, never a verdict.
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

    /// <summary>Whether the release under check is to be judged unhealthy: measured bad, or inconclusive counted as failed.</summary>
    public static bool JudgesReleaseUnhealthy(HealthCheckFailed answer, HealthGateOptions settings)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(settings);
        return answer.Verdict == HealthVerdicts.Failed || (!Refused(answer) && settings.WhenInconclusive == ExhaustedInconclusivePolicy.RollBack);
    }

    private static bool Refused(HealthCheckFailed answer) => answer.Error.Code == ErrorCodes.JobRejected;
}
