using Pressluft.Contracts;

namespace Pressluft.Sagas.Tests.Support;

internal static class Answers
{
    public static HealthCheckPassed Passed(HealthCheckRequested request) => new()
    {
        JobId = request.JobId,
        Attempt = request.Attempt,
        EnvironmentId = request.EnvironmentId,
        Checks = [new CheckResult { Check = CheckNames.Http, Outcome = CheckOutcomes.Passed, Detail = "HTTP 200", Attempts = 1 }],
        CompletedAt = DateTimeOffset.UtcNow,
    };

    public static HealthCheckFailed Failed(HealthCheckRequested request) => new()
    {
        JobId = request.JobId,
        Attempt = request.Attempt,
        EnvironmentId = request.EnvironmentId,
        Verdict = HealthVerdicts.Failed,
        Error = new JobError
        {
            Code = ErrorCodes.HealthCheckFailed,
            Message = "http (HTTP 500)",
            Details = new JobErrorDetails { Checks = [new CheckResult { Check = CheckNames.Http, Outcome = CheckOutcomes.Failed, Detail = "HTTP 500", Attempts = 2 }] },
        },
        CompletedAt = DateTimeOffset.UtcNow,
    };
}
