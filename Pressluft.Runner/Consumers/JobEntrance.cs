using MassTransit;
using Microsoft.Extensions.Logging;
using Pressluft.Contracts;
using Pressluft.Messaging.Bus;
using Pressluft.Runner.Ansible;

namespace Pressluft.Runner.Consumers;

/// <summary>A job a runner was asked to run, as far as deciding whether to run it goes.</summary>
public sealed record JobTicket(Guid JobId, int Attempt, Guid EnvironmentId, string JobType, DateTimeOffset? ExpiresAt, IReadOnlyList<string> Problems);

/// <summary>
/// The way every playbook job starts: admitted (<see cref="JobAdmission"/>), then the environment's lock taken, so at
/// most one playbook runs on an environment across runners, then admitted again when another playbook held the lock
/// (the gate may have given the job up meanwhile), then <see cref="JobStarted"/> told.
/// </summary>
public sealed class JobEntrance(IEnvironmentLocks locks, JobAdmission admission, IBus bus, TimeProvider clock, ILogger<JobEntrance> logger)
{
    /// <summary>
    /// The held lock, to release when the playbook is done; or null when the job must not run, after
    /// <paramref name="refuse"/> has answered the refusal as the job's own answer message says it.
    /// </summary>
    public async Task<EnvironmentLock?> EnterAsync(JobTicket job, Func<JobRefusal, string, Task> refuse, CancellationToken cancellationToken)
    {
        if (!await AdmitAsync(job, refuse, cancellationToken))
        {
            return null;
        }

        var environment = await locks.AcquireAsync(job.EnvironmentId, cancellationToken);
        if (environment.Waited && !await AdmitAsync(job, refuse, cancellationToken))
        {
            await environment.DisposeAsync();
            return null;
        }

        // Straight to the bus, not the outbox: "running" is only worth telling while the playbook runs. When that fails
        // (the broker went away and the delivery is cancelled) the lock is let go, or no later job of the environment
        // could ever take it. A confirm that does not come within BrokerConfirm.Wait holds the job no longer: the message
        // has most likely arrived, and the job runs.
        try
        {
            var started = new JobStarted
            {
                JobId = job.JobId,
                Attempt = job.Attempt,
                EnvironmentId = job.EnvironmentId,
                JobType = job.JobType,
                Worker = JobVariables.Worker,
                StartedAt = clock.GetUtcNow(),
            };
            if (!await BrokerConfirm.WithinWaitAsync(token => bus.Publish(started, token), clock, cancellationToken))
            {
                logger.LogWarning("Job {JobId} attempt {Attempt}: the broker did not confirm JobStarted within {Wait}; the job runs anyway",
                    job.JobId, job.Attempt, BrokerConfirm.Wait);
            }
        }
        catch
        {
            await environment.DisposeAsync();
            throw;
        }

        return environment;
    }

    private async Task<bool> AdmitAsync(JobTicket job, Func<JobRefusal, string, Task> refuse, CancellationToken cancellationToken)
    {
        var (refusal, reason) = await admission.CheckAsync(job.JobId, job.Attempt, job.ExpiresAt, job.Problems, cancellationToken);
        if (refusal == JobRefusal.None)
        {
            return true;
        }

        await refuse(refusal, reason);
        return false;
    }
}
