using Pressluft.Contracts;

namespace Pressluft.Sagas.Gate;

/// <summary>How a runner's error becomes the job's error the gate records.</summary>
public static class JobErrors
{
    /// <summary>
    /// The error under the gate's <paramref name="code"/>, final (not retryable). The runner's own code is kept in
    /// <see cref="JobErrorDetails.AnsibleCode"/> when it was an Ansible exit and the details name none yet.
    /// </summary>
    public static JobError Recode(JobError error, string code, string? message = null)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error with
        {
            Code = code,
            Retryable = false,
            Message = message ?? error.Message,
            Details = error.Code == code || error.Details.AnsibleCode is not null || !IsAnsibleCode(error.Code)
                ? error.Details
                : error.Details with { AnsibleCode = error.Code },
        };
    }

    private static bool IsAnsibleCode(string code) => code.StartsWith("ANSIBLE_", StringComparison.Ordinal) || code == ErrorCodes.JobTimeout;
}
