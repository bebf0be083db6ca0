using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Runner.Consumers;

/// <summary>Why a runner does not run a job it received.</summary>
public enum JobRefusal
{
    /// <summary>Run it.</summary>
    None,

    /// <summary>Its values break the field rules (JOB_REJECTED): answered at once, nothing runs.</summary>
    Rejected,

    /// <summary>It waited past its expiry: the gate stops waiting for it, so it is answered as expired, not run.</summary>
    Expired,

    /// <summary>The gate gave it up already (superseded, or answered): nothing runs and nothing is answered.</summary>
    GivenUp,
}

/// <summary>
/// Decides, before anything reaches Ansible, whether a runner runs a job: its values pass the field rules, it has not
/// expired, and the ledger does not show the gate has given it up (cancelled by a newer mutation, or finished by an
/// earlier delivery). The ledger is read, never written: the gate records everything.
/// </summary>
public sealed class JobAdmission(PressluftDbContext db, TimeProvider clock, ILogger<JobAdmission> logger)
{
    public async Task<(JobRefusal Refusal, string Reason)> CheckAsync(Guid jobId, int attempt, DateTimeOffset? expiresAt, IReadOnlyList<string> problems,
        CancellationToken cancellationToken)
    {
        if (problems.Count > 0)
        {
            return (JobRefusal.Rejected, string.Join("; ", problems));
        }

        if (expiresAt is { } expiry && clock.GetUtcNow() > expiry)
        {
            return (JobRefusal.Expired, $"the request waited for a runner until past its expiry {expiry.UtcDateTime:O}; not run");
        }

        var job = await ReadJobAsync(jobId, cancellationToken);
        if (job is { } known && (known.Status is JobStatuses.Cancelled or JobStatuses.Failed or JobStatuses.Succeeded || known.AttemptCount > attempt))
        {
            return (JobRefusal.GivenUp, $"the gate gave job {jobId} attempt {attempt} up (job {known.Status}, attempt {known.AttemptCount})");
        }

        return (JobRefusal.None, "");
    }

    // A ledger the runner cannot read (not migrated in a bare test harness, a database restarting) leaves the decision to
    // the gate, which ignores answers it no longer waits for: the job runs, as it always could.
    private async Task<(string Status, int AttemptCount)?> ReadJobAsync(Guid jobId, CancellationToken cancellationToken)
    {
        try
        {
            return await KeyLookup.JobProgressAsync(db, jobId, cancellationToken);
        }
        catch (Exception exception) when (exception is System.Data.Common.DbException or InvalidOperationException)
        {
            logger.LogDebug("Job {JobId}: ledger not readable ({Reason}); running it", jobId, exception.Message);
            return null;
        }
    }
}
