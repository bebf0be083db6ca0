using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Logging;
using Pressluft.Contracts;
using Pressluft.Sagas.Ledger;
using Pressluft.Sagas.Messages;
using Pressluft.Sagas.StateMachines;

namespace Pressluft.Sagas.Gate;

/// <summary>
/// The gate's <c>health_check</c> jobs: requesting one (of the gated release, or of the restored release after a
/// rollback), retrying an inconclusive attempt, and recording what the runner answered.
/// </summary>
public sealed class HealthCheckJobs(IReleaseLedger ledger, IDeadlines deadlines, GuardedConfig config, TimeProvider clock, ILogger<HealthCheckJobs> logger)
{
    private static readonly JsonSerializerOptions PayloadJson = new(JsonSerializerDefaults.Web);

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>Asks for a check of the release the mutation made live.</summary>
    public Task RequestForGateAsync(BehaviorContext<ReleaseLifecycleState> context)
    {
        var saga = context.Saga;
        logger.LogInformation("Gate for mutation {MutationJobId} ({JobType}) of environment {EnvironmentId} started: checking release {ReleaseId}",
            saga.MutationJobId, saga.MutationJobType, saga.CorrelationId, saga.ReleaseId);
        return RequestAsync(context, saga.ReleaseId, saga.ReleasePath);
    }

    /// <summary>Asks for a check of the release the rollback restored.</summary>
    public Task RequestForRestoredReleaseAsync(BehaviorContext<ReleaseLifecycleState> context) =>
        RequestAsync(context, context.Saga.RollbackTargetId!.Value, context.Saga.RollbackTargetPath!);

    public Task RecordStartedAsync(BehaviorContext<ReleaseLifecycleState, JobStarted> context)
    {
        var started = context.Message;
        return ledger.MarkJobRunningAsync(started.JobId, started.Attempt, started.Worker, started.StartedAt.UtcDateTime, context.CancellationToken);
    }

    /// <summary>The job succeeded and the release it checked is healthy.</summary>
    public async Task RecordPassedAsync(BehaviorContext<ReleaseLifecycleState, HealthCheckPassed> context)
    {
        var saga = context.Saga;
        var ct = context.CancellationToken;
        await deadlines.CancelCurrentAsync(saga, ct);
        await ledger.SucceedJobAsync(context.Message.JobId, context.Message.CompletedAt.UtcDateTime, ct);
        var reason = IsGateCheck(saga) ? "health check passed" : "restored release passed its health check after the rollback";
        await context.PublishIfAny(await ledger.ChangeReleaseHealthAsync(saga.CheckedReleaseId!.Value, ReleaseHealth.Healthy, reason, context.Message.JobId, Now, ct));
    }

    /// <summary>Records the attempt's error and schedules the next attempt after the configured delay.</summary>
    public async Task ScheduleRetryAsync(BehaviorContext<ReleaseLifecycleState, HealthCheckFailed> context)
    {
        var saga = context.Saga;
        var delay = config.Current.InconclusiveRetryDelay;
        var jobId = saga.CurrentJobId!.Value;
        await deadlines.CancelCurrentAsync(saga, context.CancellationToken);
        await ledger.RecordAttemptErrorAsync(jobId, saga.Attempt, context.Message.Error, context.CancellationToken);
        logger.LogWarning("Health check {JobId} of environment {EnvironmentId} inconclusive on attempt {Attempt} ({Code}); retrying in {Delay}",
            jobId, saga.CorrelationId, saga.Attempt, context.Message.Error.Code, delay);
        saga.Attempt++;
        await context.ScheduleSend(context.ReceiveContext.InputAddress, delay,
            new HealthCheckRetryDue { EnvironmentId = saga.CorrelationId, JobId = jobId, Attempt = saga.Attempt });
    }

    /// <summary>Sends the request again for the next attempt of the same job.</summary>
    public Task ResendAsync(BehaviorContext<ReleaseLifecycleState> context)
    {
        logger.LogInformation("Retrying health check {JobId} of environment {EnvironmentId}: attempt {Attempt}",
            context.Saga.CurrentJobId, context.Saga.CorrelationId, context.Saga.Attempt);
        return SendAsync(context);
    }

    /// <summary>
    /// Sends the awaited attempt's request again, with a new deadline: the process restarted and the request may have been
    /// lost in its in-memory queue. A runner that did take it finds the job answered (and runs nothing), or waits for the
    /// environment's lock.
    /// </summary>
    public async Task ResumeAsync(BehaviorContext<ReleaseLifecycleState> context)
    {
        await deadlines.CancelCurrentAsync(context.Saga, context.CancellationToken);
        logger.LogWarning("Resuming health check {JobId} attempt {Attempt} of environment {EnvironmentId} after a restart: its request is sent again",
            context.Saga.CurrentJobId, context.Saga.Attempt, context.Saga.CorrelationId);
        await SendAsync(context);
    }

    /// <summary>The gate check's job failed with the verdict's code; the gate fails or rolls back for that code.</summary>
    public async Task RecordFailedAsync(BehaviorContext<ReleaseLifecycleState, HealthCheckFailed> context)
    {
        var code = CheckVerdicts.CodeFor(context.Message);
        await deadlines.CancelCurrentAsync(context.Saga, context.CancellationToken);
        await ledger.FailJobAsync(context.Saga.CurrentJobId!.Value, JobErrors.Recode(context.Message.Error, code), Now, context.CancellationToken);
        context.Saga.FailureCode = code;
    }

    /// <summary>The restored release did not pass: its job fails with ROLLBACK_VERIFICATION_FAILED, judged as a gate check would be.</summary>
    public async Task RecordVerificationFailedAsync(BehaviorContext<ReleaseLifecycleState, HealthCheckFailed> context)
    {
        var saga = context.Saga;
        var error = context.Message.Error;
        await deadlines.CancelCurrentAsync(saga, context.CancellationToken);
        await ledger.FailJobAsync(saga.CurrentJobId!.Value, JobErrors.Recode(error, ErrorCodes.RollbackVerificationFailed,
            $"Restored release {saga.CheckedReleaseId} did not pass its health check: {error.Message}"), Now, context.CancellationToken);
        if (CheckVerdicts.MeasuredBad(context.Message))
        {
            await MarkUnhealthyAsync(context);
        }

        saga.FailureCode = ErrorCodes.RollbackVerificationFailed;
    }

    /// <summary>The release under check is unhealthy (terminal: never a rollback target again).</summary>
    public async Task MarkUnhealthyAsync(BehaviorContext<ReleaseLifecycleState, HealthCheckFailed> context)
    {
        var answer = context.Message;
        await context.PublishIfAny(await ledger.ChangeReleaseHealthAsync(context.Saga.CheckedReleaseId!.Value, ReleaseHealth.Unhealthy,
            $"{CheckVerdicts.CodeFor(answer)}: {answer.Error.Message}", answer.JobId, Now, context.CancellationToken));
    }

    private static bool IsGateCheck(ReleaseLifecycleState saga) => saga.CheckedReleaseId == saga.ReleaseId;

    private async Task RequestAsync(BehaviorContext<ReleaseLifecycleState> context, Guid releaseId, string releasePath)
    {
        var saga = context.Saga;
        var jobId = NewId.NextGuid();
        saga.CheckedReleaseId = releaseId;
        saga.CheckedReleasePath = releasePath;
        var payload = new { purpose = Purpose(saga), release = new ReleaseRef { Id = releaseId, Path = releasePath }, url = saga.EnvironmentUrl, mode = saga.GateMode };
        await ledger.QueueJobAsync(new JobQueued(jobId, JobTypes.HealthCheck, saga.SiteId, saga.CorrelationId, saga.NodeId, saga.MutationJobId,
            1 + config.Current.InconclusiveRetries, JsonSerializer.Serialize(payload, PayloadJson), Now), context.CancellationToken);
        saga.CurrentJobId = jobId;
        saga.Attempt = 1;
        await SendAsync(context);
    }

    private static string Purpose(ReleaseLifecycleState saga) => IsGateCheck(saga) ? HealthCheckPurposes.Gate : HealthCheckPurposes.VerifyRollback;

    // The request for the current attempt, and the deadline by which its answer must arrive: the time a request may wait
    // for a runner (after which no runner starts it) plus the time a started check may take.
    private async Task SendAsync(BehaviorContext<ReleaseLifecycleState> context)
    {
        var saga = context.Saga;
        var settings = config.Current;
        await context.Publish(new HealthCheckRequested
        {
            ExpiresAt = settings.QueueTimeout > TimeSpan.Zero ? clock.GetUtcNow() + settings.QueueTimeout : null,
            JobId = saga.CurrentJobId!.Value,
            Attempt = saga.Attempt,
            Purpose = Purpose(saga),
            SiteId = saga.SiteId,
            SiteSlug = saga.SiteSlug,
            EnvironmentId = saga.CorrelationId,
            EnvironmentSlug = saga.EnvironmentSlug,
            EnvironmentType = saga.EnvironmentType,
            Node = GateMessages.Node(saga),
            EnvironmentUrl = saga.EnvironmentUrl,
            Release = new ReleaseRef { Id = saga.CheckedReleaseId!.Value, Path = saga.CheckedReleasePath! },
        }, context.CancellationToken);
        saga.DeadlineId = await deadlines.ScheduleAsync(context,
            new HealthCheckDeadlineExpired { EnvironmentId = saga.CorrelationId, JobId = saga.CurrentJobId!.Value, Attempt = saga.Attempt },
            settings.QueueTimeout + settings.HealthCheckDeadline);
    }
}
