using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Logging;
using Pressluft.Contracts;
using Pressluft.Sagas.Ledger;
using Pressluft.Sagas.Messages;
using Pressluft.Sagas.StateMachines;

namespace Pressluft.Sagas.Gate;

/// <summary>
/// The gate's <c>release_rollback</c> jobs: choosing the release to go back to, requesting the rollback (or recording
/// that there is nothing to go back to), and recording what the runner answered.
/// </summary>
public sealed class RollbackJobs(IReleaseLedger ledger, RollbackTargetSelector targets, IDeadlines deadlines, GuardedConfig config, TimeProvider clock, ILogger<RollbackJobs> logger)
{
    private static readonly JsonSerializerOptions PayloadJson = new(JsonSerializerDefaults.Web);

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>Picks the rollback target (see <see cref="RollbackTargetSelector"/>); none leaves it empty.</summary>
    public async Task ChooseTargetAsync(BehaviorContext<ReleaseLifecycleState> context)
    {
        var saga = context.Saga;
        var target = await targets.SelectAsync(saga.CorrelationId, saga.ReleaseId, saga.PriorReleaseId, context.CancellationToken);
        saga.RollbackTargetId = target?.Id;
        saga.RollbackTargetPath = target?.Path;
    }

    public static bool HasTarget(ReleaseLifecycleState saga) => saga.RollbackTargetId is not null;

    /// <summary>Queues the rollback job, asks a runner for it and sets its deadline.</summary>
    public async Task RequestAsync(BehaviorContext<ReleaseLifecycleState, HealthCheckFailed> context)
    {
        var saga = context.Saga;
        var jobId = NewId.NextGuid();
        var reason = Reason(context);
        var to = new ReleaseRef { Id = saga.RollbackTargetId!.Value, Path = saga.RollbackTargetPath! };
        await QueueAsync(context, jobId, to, reason);
        saga.CurrentJobId = jobId;
        saga.Attempt = 1;

        logger.LogWarning("Rolling environment {EnvironmentId} back from release {FromReleaseId} to {ToReleaseId} (job {JobId}): {Reason}",
            saga.CorrelationId, saga.ReleaseId, to.Id, jobId, reason);
        await SendAsync(context, reason);
    }

    /// <summary>
    /// Sends the awaited rollback's request again, with a new deadline: the process restarted and the request may have been
    /// lost in its in-memory queue. A runner that did take it finds the job answered, or waits for the environment's lock;
    /// the switch itself accepts <c>current</c> already at the target.
    /// </summary>
    public async Task ResumeAsync(BehaviorContext<ReleaseLifecycleState> context)
    {
        var saga = context.Saga;
        await deadlines.CancelCurrentAsync(saga, context.CancellationToken);
        logger.LogWarning("Resuming rollback {JobId} of environment {EnvironmentId} after a restart: its request is sent again", saga.CurrentJobId, saga.CorrelationId);
        await SendAsync(context, $"{saga.FailureCode}: resumed after a restart");
    }

    // The request for the current rollback job, and the deadline by which its answer must arrive.
    private async Task SendAsync(BehaviorContext<ReleaseLifecycleState> context, string reason)
    {
        var saga = context.Saga;
        var ct = context.CancellationToken;
        var settings = config.Current;
        var jobId = saga.CurrentJobId!.Value;
        var from = new ReleaseRef { Id = saga.ReleaseId, Path = saga.ReleasePath };
        var to = new ReleaseRef { Id = saga.RollbackTargetId!.Value, Path = saga.RollbackTargetPath! };
        await context.Publish(new RollbackRequested
        {
            JobId = jobId,
            SiteId = saga.SiteId,
            SiteSlug = saga.SiteSlug,
            EnvironmentId = saga.CorrelationId,
            EnvironmentSlug = saga.EnvironmentSlug,
            EnvironmentType = saga.EnvironmentType,
            Node = GateMessages.Node(saga),
            ExpiresAt = settings.QueueTimeout > TimeSpan.Zero ? clock.GetUtcNow() + settings.QueueTimeout : null,
            FromRelease = from,
            ToRelease = to,
            ReasonCode = saga.FailureCode!,
            Reason = reason,
            MutationJobId = saga.MutationJobId,
            BackupReference = saga.BackupReference,
        }, ct);
        saga.DeadlineId = await deadlines.ScheduleAsync(context, new RollbackDeadlineExpired { EnvironmentId = saga.CorrelationId, JobId = jobId },
            settings.QueueTimeout + settings.RollbackDeadline);
    }

    /// <summary>Nothing to roll back to: the rollback job is recorded as failed with ROLLBACK_NO_PRIOR_RELEASE.</summary>
    public async Task RecordNoTargetAsync(BehaviorContext<ReleaseLifecycleState, HealthCheckFailed> context)
    {
        var saga = context.Saga;
        var jobId = NewId.NextGuid();
        await QueueAsync(context, jobId, null, Reason(context));
        await ledger.FailJobAsync(jobId, new JobError
        {
            Code = ErrorCodes.RollbackNoPriorRelease,
            Message = $"Release {saga.ReleaseId} is unhealthy and environment {saga.CorrelationId} has no prior or other healthy release to roll back to.",
        }, Now, context.CancellationToken);

        // For a check that measured nothing the check's code stays the headline: it names the cause.
        if (CheckVerdicts.MeasuredBad(context.Message))
        {
            saga.FailureCode = ErrorCodes.RollbackNoPriorRelease;
        }
    }

    /// <summary>The rollback moved <c>current</c>: the target is the environment's current release again.</summary>
    public async Task RecordCompletedAsync(BehaviorContext<ReleaseLifecycleState, RollbackCompleted> context)
    {
        var saga = context.Saga;
        var ct = context.CancellationToken;
        await deadlines.CancelCurrentAsync(saga, ct);
        await ledger.SucceedJobAsync(context.Message.JobId, context.Message.CompletedAt.UtcDateTime, ct);
        await ledger.SetCurrentReleaseAsync(saga.CorrelationId, saga.RollbackTargetId!.Value, ct);
        logger.LogInformation("Environment {EnvironmentId} rolled back from {FromReleaseId} to {ToReleaseId}; verifying",
            saga.CorrelationId, saga.ReleaseId, saga.RollbackTargetId);
    }

    public Task RecordFailedAsync(BehaviorContext<ReleaseLifecycleState, RollbackFailed> context) =>
        FailAsync(context, JobErrors.Recode(context.Message.Error, ErrorCodes.RollbackFailed));

    public Task RecordTimedOutAsync(BehaviorContext<ReleaseLifecycleState, RollbackDeadlineExpired> context) =>
        FailAsync(context, new JobError
        {
            Code = ErrorCodes.RollbackTimeout,
            Message = $"No rollback answer within {config.Current.QueueTimeout + config.Current.RollbackDeadline} (waiting for a runner and running).",
        });

    // The failed check that caused the rollback, in a sentence for the ledger and the log; never handed to a playbook.
    private static string Reason(BehaviorContext<ReleaseLifecycleState, HealthCheckFailed> context) => $"{context.Saga.FailureCode}: {context.Message.Error.Message}";

    private Task QueueAsync(BehaviorContext<ReleaseLifecycleState> context, Guid jobId, ReleaseRef? to, string reason)
    {
        var saga = context.Saga;
        var from = new ReleaseRef { Id = saga.ReleaseId, Path = saga.ReleasePath };
        return ledger.QueueJobAsync(new JobQueued(jobId, JobTypes.ReleaseRollback, saga.SiteId, saga.CorrelationId, saga.NodeId, saga.MutationJobId, 1,
            JsonSerializer.Serialize(new { from, to, reason }, PayloadJson), Now), context.CancellationToken);
    }

    private async Task FailAsync(BehaviorContext<ReleaseLifecycleState> context, JobError error)
    {
        var saga = context.Saga;
        await deadlines.CancelCurrentAsync(saga, context.CancellationToken);
        await ledger.FailJobAsync(saga.CurrentJobId!.Value, error, Now, context.CancellationToken);
        logger.LogError("Rollback {JobId} of environment {EnvironmentId} failed with {Code}: {Message}", saga.CurrentJobId, saga.CorrelationId, error.Code, error.Message);
        saga.FailureCode = error.Code;
    }
}
