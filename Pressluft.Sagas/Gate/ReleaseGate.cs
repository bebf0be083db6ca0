using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Logging;
using Pressluft.Contracts;
using Pressluft.Sagas.Ledger;
using Pressluft.Sagas.Messages;
using Pressluft.Sagas.StateMachines;

namespace Pressluft.Sagas.Gate;

/// <summary>
/// What the release-lifecycle saga does on each message it accepts: the ledger changes, the messages it sends,
/// and the state it moves to. Scoped per message; the state machine decides which messages reach it.
/// </summary>
public sealed class ReleaseGate(
    IReleaseLedger ledger,
    RollbackTargetSelector rollbackTargets,
    GuardedConfig config,
    TimeProvider clock,
    ILogger<ReleaseGate> logger)
{
    private static readonly JsonSerializerOptions PayloadJson = new(JsonSerializerDefaults.Web);

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public Task SaveAsync(CancellationToken cancellationToken) => ledger.SaveChangesAsync(cancellationToken);

    public async Task<GateStep> BeginAsync(BehaviorContext<ReleaseLifecycleState, MutationCompleted> context, bool gateRunning)
    {
        var saga = context.Saga;
        var mutation = context.Message;
        var ct = context.CancellationToken;

        if (await ledger.GateExistsAsync(mutation.MutationJobId, ct))
        {
            logger.LogInformation("Mutation {MutationJobId} of environment {EnvironmentId} was already gated; duplicate ignored",
                mutation.MutationJobId, mutation.EnvironmentId);
            GateMetrics.IgnoredMutations.Add(1, new KeyValuePair<string, object?>("reason", "duplicate"));
            return GateStep.Stay;
        }

        var conflicts = await ledger.FindConflictsAsync(mutation, ct);
        if (conflicts.Count > 0)
        {
            await RejectAsync(context, conflicts);
            return GateStep.Stay;
        }

        var completedAt = mutation.CompletedAt.UtcDateTime;
        if (saga.MutationJobId != Guid.Empty && completedAt < saga.MutationCompletedAt)
        {
            logger.LogWarning(
                "Mutation {MutationJobId} of environment {EnvironmentId} completed at {CompletedAt:o}, before the last gated mutation {LastMutationJobId}; ignored",
                mutation.MutationJobId, mutation.EnvironmentId, completedAt, saga.MutationJobId);
            GateMetrics.IgnoredMutations.Add(1, new KeyValuePair<string, object?>("reason", "older"));
            return GateStep.Stay;
        }

        if (gateRunning)
        {
            await SupersedeAsync(context, mutation.MutationJobId);
        }

        var recorded = await ledger.RecordMutationAsync(mutation, ct);
        await PublishAsync(context, recorded.StatusChange);

        var mode = config.Current.ModeFor(mutation.JobType);
        saga.SiteId = mutation.SiteId;
        saga.SiteSlug = mutation.SiteSlug;
        saga.EnvironmentSlug = mutation.EnvironmentSlug;
        saga.EnvironmentType = mutation.EnvironmentType;
        saga.NodeId = mutation.Node.Id;
        saga.NodeHostname = mutation.Node.Hostname;
        saga.NodeSshPort = mutation.Node.SshPort;
        saga.NodeSshUser = mutation.Node.SshUser;
        saga.EnvironmentUrl = mutation.EnvironmentUrl;
        saga.MutationJobId = mutation.MutationJobId;
        saga.MutationJobType = mutation.JobType;
        saga.MutationCompletedAt = completedAt;
        saga.BackupReference = mutation.BackupReference;
        saga.GateMode = mode.ToString();
        saga.ReleaseId = mutation.Release.Id;
        saga.ReleasePath = mutation.Release.Path;
        var prior = mutation.PreviousRelease?.Id ?? recorded.PreviousCurrentReleaseId;
        saga.PriorReleaseId = prior == mutation.Release.Id ? null : prior;
        saga.RollbackTargetId = null;
        saga.RollbackTargetPath = null;
        saga.FailureCode = null;
        saga.CurrentJobId = null;
        saga.CurrentJobType = null;
        saga.Attempt = 0;
        saga.DeadlineAt = null;

        await ledger.StartGateAsync(
            new GateStart(mutation.MutationJobId, mutation.JobType, mutation.SiteId, mutation.EnvironmentId, mutation.Release.Id, saga.GateMode, Now),
            ct);
        GateMetrics.GatesStarted.Add(1, new KeyValuePair<string, object?>("mode", saga.GateMode));

        if (mode != GateMode.Enforce)
        {
            logger.LogWarning("Health gate for {JobType} runs in {Mode} mode (guarded config): release {ReleaseId} of environment {EnvironmentId} will not be rolled back",
                mutation.JobType, saga.GateMode, mutation.Release.Id, mutation.EnvironmentId);
        }

        if (mode == GateMode.Disabled)
        {
            return await CompleteAsync(context, GateOutcomes.Skipped, null, EnvironmentStatuses.Active,
                $"health gate disabled for {mutation.JobType}; no check ran");
        }

        logger.LogInformation("Gate for mutation {MutationJobId} ({JobType}) of environment {EnvironmentId} started: checking release {ReleaseId}",
            mutation.MutationJobId, mutation.JobType, mutation.EnvironmentId, mutation.Release.Id);
        await RequestHealthCheckAsync(context, HealthCheckPurposes.Gate, saga.ReleaseId, saga.ReleasePath);
        return GateStep.HealthChecking;
    }

    public async Task<GateStep> JobStartedAsync(BehaviorContext<ReleaseLifecycleState, JobStarted> context)
    {
        var started = context.Message;
        await ledger.MarkJobRunningAsync(started.JobId, started.Attempt, started.Worker, started.StartedAt.UtcDateTime, context.CancellationToken);
        return GateStep.Stay;
    }

    public async Task<GateStep> CheckPassedAsync(BehaviorContext<ReleaseLifecycleState, HealthCheckPassed> context, bool verifying)
    {
        var saga = context.Saga;
        var ct = context.CancellationToken;
        await ledger.SucceedJobAsync(context.Message.JobId, context.Message.CompletedAt.UtcDateTime, ct);

        var checkedRelease = verifying ? saga.RollbackTargetId!.Value : saga.ReleaseId;
        await PublishAsync(context, await ledger.ChangeReleaseHealthAsync(checkedRelease, ReleaseHealth.Healthy,
            verifying ? "restored release passed its health check after the rollback" : "health check passed",
            context.Message.JobId, Now, ct));

        return verifying
            ? await CompleteAsync(context, GateOutcomes.RolledBack, saga.FailureCode, EnvironmentStatuses.Active,
                $"release {saga.ReleaseId} rolled back to {checkedRelease}, which passed its health check")
            : await CompleteAsync(context, GateOutcomes.Passed, null, EnvironmentStatuses.Active, $"release {checkedRelease} passed its health check");
    }

    public Task<GateStep> CheckFailedAsync(BehaviorContext<ReleaseLifecycleState, HealthCheckFailed> context, bool verifying) =>
        HandleUnpassedCheckAsync(context, context.Message.Verdict, context.Message.Error, verifying);

    public Task<GateStep> CheckDeadlineAsync(BehaviorContext<ReleaseLifecycleState, HealthCheckDeadlineExpired> context, bool verifying) =>
        HandleUnpassedCheckAsync(context, HealthVerdicts.Inconclusive, new JobError
        {
            Code = ErrorCodes.HealthCheckTimeout,
            Message = $"No health check answer for attempt {context.Message.Attempt} within {config.Current.HealthCheckDeadline}.",
            Retryable = true,
        }, verifying);

    public async Task<GateStep> RetryCheckAsync(BehaviorContext<ReleaseLifecycleState, HealthCheckRetryDue> context, bool verifying)
    {
        var saga = context.Saga;
        var release = verifying
            ? new ReleaseRef { Id = saga.RollbackTargetId!.Value, Path = saga.RollbackTargetPath! }
            : new ReleaseRef { Id = saga.ReleaseId, Path = saga.ReleasePath };
        logger.LogInformation("Retrying health check {JobId} of environment {EnvironmentId}: attempt {Attempt}",
            saga.CurrentJobId, saga.CorrelationId, saga.Attempt);
        await SendHealthCheckAsync(context, verifying ? HealthCheckPurposes.VerifyRollback : HealthCheckPurposes.Gate, release);
        return GateStep.Stay;
    }

    public async Task<GateStep> RollbackCompletedAsync(BehaviorContext<ReleaseLifecycleState, RollbackCompleted> context)
    {
        var saga = context.Saga;
        var ct = context.CancellationToken;
        await ledger.SucceedJobAsync(context.Message.JobId, context.Message.CompletedAt.UtcDateTime, ct);
        await ledger.SetCurrentReleaseAsync(saga.CorrelationId, saga.RollbackTargetId!.Value, ct);
        logger.LogInformation("Environment {EnvironmentId} rolled back from {FromReleaseId} to {ToReleaseId}; verifying",
            saga.CorrelationId, saga.ReleaseId, saga.RollbackTargetId);
        await RequestHealthCheckAsync(context, HealthCheckPurposes.VerifyRollback, saga.RollbackTargetId!.Value, saga.RollbackTargetPath!);
        return GateStep.VerifyingRollback;
    }

    public Task<GateStep> RollbackFailedAsync(BehaviorContext<ReleaseLifecycleState, RollbackFailed> context)
    {
        var error = context.Message.Error;
        return FailRollbackAsync(context, error with
        {
            Code = ErrorCodes.RollbackFailed,
            Retryable = false,
            Details = error.Code == ErrorCodes.RollbackFailed ? error.Details : error.Details with { AnsibleCode = error.Details.AnsibleCode ?? error.Code },
        });
    }

    public Task<GateStep> RollbackDeadlineAsync(BehaviorContext<ReleaseLifecycleState, RollbackDeadlineExpired> context) =>
        FailRollbackAsync(context, new JobError
        {
            Code = ErrorCodes.RollbackTimeout,
            Message = $"No rollback answer within {config.Current.RollbackDeadline}.",
        });

    public async Task<GateStep> ResetAsync(BehaviorContext<ReleaseLifecycleState, ResetEnvironment> context)
    {
        var reset = context.Message;
        var reason = string.IsNullOrWhiteSpace(reset.Reason)
            ? $"reset by {reset.RequestedBy}"
            : $"reset by {reset.RequestedBy}: {reset.Reason}";
        logger.LogWarning("Environment {EnvironmentId} {Reason}", reset.EnvironmentId, reason);
        await PublishAsync(context, await ledger.ChangeEnvironmentStatusAsync(reset.EnvironmentId, EnvironmentStatuses.Active, reason, Now, context.CancellationToken));
        return GateStep.Active;
    }

    private async Task<GateStep> HandleUnpassedCheckAsync<T>(BehaviorContext<ReleaseLifecycleState, T> context, string verdict, JobError error, bool verifying)
        where T : class
    {
        var saga = context.Saga;
        var ct = context.CancellationToken;
        var settings = config.Current;
        var jobId = saga.CurrentJobId!.Value;

        // A runner that refused the job (JOB_REJECTED) will refuse it again, and it measured nothing: no retry, no verdict.
        var refused = error.Code == ErrorCodes.JobRejected;
        if (verdict != HealthVerdicts.Failed && !refused && saga.Attempt <= settings.InconclusiveRetries)
        {
            await ledger.RecordAttemptErrorAsync(jobId, saga.Attempt, error, ct);
            logger.LogWarning("Health check {JobId} of environment {EnvironmentId} inconclusive on attempt {Attempt} ({Code}); retrying in {Delay}",
                jobId, saga.CorrelationId, saga.Attempt, error.Code, settings.InconclusiveRetryDelay);
            saga.Attempt++;
            saga.DeadlineAt = null;
            await context.ScheduleSend(context.ReceiveContext.InputAddress, settings.InconclusiveRetryDelay,
                new HealthCheckRetryDue { EnvironmentId = saga.CorrelationId, JobId = jobId, Attempt = saga.Attempt });
            return GateStep.Stay;
        }

        var measuredBad = verdict == HealthVerdicts.Failed;
        var checkCode = measuredBad ? ErrorCodes.HealthCheckFailed
            : error.Code is ErrorCodes.HealthCheckTimeout or ErrorCodes.JobRejected ? error.Code
            : ErrorCodes.HealthCheckInconclusive;
        var code = verifying ? ErrorCodes.RollbackVerificationFailed : checkCode;
        var jobError = error with
        {
            Code = code,
            Retryable = false,
            Message = verifying ? $"Restored release {saga.RollbackTargetId} did not pass its health check: {error.Message}" : error.Message,
            Details = error.Code == code ? error.Details : error.Details with { AnsibleCode = error.Details.AnsibleCode ?? (IsAnsibleCode(error.Code) ? error.Code : null) },
        };
        await ledger.FailJobAsync(jobId, jobError, Now, ct);

        var treatAsFailed = measuredBad || (!refused && settings.WhenInconclusive == ExhaustedInconclusivePolicy.RollBack);
        var checkedRelease = verifying ? saga.RollbackTargetId!.Value : saga.ReleaseId;
        if (treatAsFailed)
        {
            await PublishAsync(context, await ledger.ChangeReleaseHealthAsync(checkedRelease, ReleaseHealth.Unhealthy, $"{checkCode}: {error.Message}", jobId, Now, ct));
        }

        if (verifying)
        {
            return await CompleteAsync(context, GateOutcomes.Failed, code, EnvironmentStatuses.Failed,
                $"restored release {checkedRelease} failed verification ({checkCode}); not rolling back again");
        }

        saga.FailureCode = code;
        if (!treatAsFailed)
        {
            return await CompleteAsync(context, GateOutcomes.Failed, code, EnvironmentStatuses.Failed,
                refused ? $"health check {code}: {error.Message}; held for an operator" : $"health check {code} after every retry; held for an operator");
        }

        if (saga.GateMode == nameof(GateMode.ReportOnly))
        {
            logger.LogWarning("Release {ReleaseId} of environment {EnvironmentId} is unhealthy ({Code}); ReportOnly mode, not rolling back",
                saga.ReleaseId, saga.CorrelationId, code);
            return await CompleteAsync(context, GateOutcomes.Reported, code, EnvironmentStatuses.Active,
                $"release {saga.ReleaseId} unhealthy ({code}); report-only, not rolled back");
        }

        return await RequestRollbackAsync(context, code, error.Message);
    }

    private async Task<GateStep> RequestRollbackAsync<T>(BehaviorContext<ReleaseLifecycleState, T> context, string cause, string causeMessage)
        where T : class
    {
        var saga = context.Saga;
        var ct = context.CancellationToken;
        var target = await rollbackTargets.SelectAsync(saga.CorrelationId, saga.ReleaseId, saga.PriorReleaseId, ct);
        var jobId = NewId.NextGuid();
        var reason = $"{cause}: {causeMessage}";
        var from = new ReleaseRef { Id = saga.ReleaseId, Path = saga.ReleasePath };

        await ledger.QueueJobAsync(new JobQueued(jobId, JobTypes.ReleaseRollback, saga.SiteId, saga.CorrelationId, saga.NodeId, saga.MutationJobId, 1,
            JsonSerializer.Serialize(new { from, to = target is null ? null : new ReleaseRef { Id = target.Id, Path = target.Path }, reason }, PayloadJson), Now), ct);

        if (target is null)
        {
            await ledger.FailJobAsync(jobId, new JobError
            {
                Code = ErrorCodes.RollbackNoPriorRelease,
                Message = $"Release {saga.ReleaseId} is unhealthy and environment {saga.CorrelationId} has no prior or other healthy release to roll back to.",
            }, Now, ct);
            return await CompleteAsync(context, GateOutcomes.Failed, ErrorCodes.RollbackNoPriorRelease, EnvironmentStatuses.Failed,
                $"release {saga.ReleaseId} unhealthy and no release to roll back to");
        }

        saga.RollbackTargetId = target.Id;
        saga.RollbackTargetPath = target.Path;
        saga.CurrentJobId = jobId;
        saga.CurrentJobType = JobTypes.ReleaseRollback;
        saga.Attempt = 1;
        var deadline = config.Current.RollbackDeadline;
        saga.DeadlineAt = Now + deadline;

        logger.LogWarning("Rolling environment {EnvironmentId} back from release {FromReleaseId} to {ToReleaseId} (job {JobId}): {Reason}",
            saga.CorrelationId, saga.ReleaseId, target.Id, jobId, reason);
        await context.Publish(new RollbackRequested
        {
            JobId = jobId,
            SiteId = saga.SiteId,
            SiteSlug = saga.SiteSlug,
            EnvironmentId = saga.CorrelationId,
            EnvironmentSlug = saga.EnvironmentSlug,
            EnvironmentType = saga.EnvironmentType,
            Node = Node(saga),
            FromRelease = from,
            ToRelease = new ReleaseRef { Id = target.Id, Path = target.Path },
            ReasonCode = cause,
            Reason = reason,
            MutationJobId = saga.MutationJobId,
            BackupReference = saga.BackupReference,
        }, ct);
        await context.ScheduleSend(context.ReceiveContext.InputAddress, deadline,
            new RollbackDeadlineExpired { EnvironmentId = saga.CorrelationId, JobId = jobId });
        return GateStep.RollingBack;
    }

    private async Task<GateStep> FailRollbackAsync<T>(BehaviorContext<ReleaseLifecycleState, T> context, JobError error)
        where T : class
    {
        var saga = context.Saga;
        await ledger.FailJobAsync(saga.CurrentJobId!.Value, error, Now, context.CancellationToken);
        logger.LogError("Rollback {JobId} of environment {EnvironmentId} failed with {Code}: {Message}",
            saga.CurrentJobId, saga.CorrelationId, error.Code, error.Message);
        return await CompleteAsync(context, GateOutcomes.Failed, error.Code, EnvironmentStatuses.Failed,
            $"rollback to release {saga.RollbackTargetId} failed ({error.Code})");
    }

    private async Task RequestHealthCheckAsync<T>(BehaviorContext<ReleaseLifecycleState, T> context, string purpose, Guid releaseId, string releasePath)
        where T : class
    {
        var saga = context.Saga;
        var jobId = NewId.NextGuid();
        var release = new ReleaseRef { Id = releaseId, Path = releasePath };
        await ledger.QueueJobAsync(new JobQueued(jobId, JobTypes.HealthCheck, saga.SiteId, saga.CorrelationId, saga.NodeId, saga.MutationJobId,
            1 + config.Current.InconclusiveRetries,
            JsonSerializer.Serialize(new { purpose, release, url = saga.EnvironmentUrl, mode = saga.GateMode }, PayloadJson), Now), context.CancellationToken);
        saga.CurrentJobId = jobId;
        saga.CurrentJobType = JobTypes.HealthCheck;
        saga.Attempt = 1;
        await SendHealthCheckAsync(context, purpose, release);
    }

    private async Task SendHealthCheckAsync<T>(BehaviorContext<ReleaseLifecycleState, T> context, string purpose, ReleaseRef release)
        where T : class
    {
        var saga = context.Saga;
        var deadline = config.Current.HealthCheckDeadline;
        saga.DeadlineAt = Now + deadline;
        await context.Publish(new HealthCheckRequested
        {
            JobId = saga.CurrentJobId!.Value,
            Attempt = saga.Attempt,
            Purpose = purpose,
            SiteId = saga.SiteId,
            SiteSlug = saga.SiteSlug,
            EnvironmentId = saga.CorrelationId,
            EnvironmentSlug = saga.EnvironmentSlug,
            EnvironmentType = saga.EnvironmentType,
            Node = Node(saga),
            EnvironmentUrl = saga.EnvironmentUrl,
            Release = release,
        }, context.CancellationToken);
        await context.ScheduleSend(context.ReceiveContext.InputAddress, deadline,
            new HealthCheckDeadlineExpired { EnvironmentId = saga.CorrelationId, JobId = saga.CurrentJobId!.Value, Attempt = saga.Attempt });
    }

    /// <summary>
    /// A mutation that contradicts the ledger (normally refused at the intake; this catches two events racing past it):
    /// recorded as a rejected gate with the reason, and nothing else changes.
    /// </summary>
    private async Task RejectAsync(BehaviorContext<ReleaseLifecycleState, MutationCompleted> context, IReadOnlyList<string> conflicts)
    {
        var mutation = context.Message;
        var ct = context.CancellationToken;
        var reason = string.Join("; ", conflicts);
        var mode = config.Current.ModeFor(mutation.JobType).ToString();
        logger.LogWarning("Mutation {MutationJobId} of environment {EnvironmentId} rejected ({Code}): {Reason}",
            mutation.MutationJobId, mutation.EnvironmentId, ErrorCodes.MutationRejected, reason);
        await ledger.StartGateAsync(new GateStart(mutation.MutationJobId, mutation.JobType, mutation.SiteId, mutation.EnvironmentId, mutation.Release.Id, mode, Now), ct);
        await ledger.CompleteGateAsync(mutation.MutationJobId, GateOutcomes.Rejected, ErrorCodes.MutationRejected, reason, Now, ct);
        var environment = await ledger.FindEnvironmentAsync(mutation.EnvironmentId, ct);
        await context.Publish(new GateCompleted
        {
            MutationJobId = mutation.MutationJobId,
            MutationJobType = mutation.JobType,
            EnvironmentId = mutation.EnvironmentId,
            SiteId = mutation.SiteId,
            ReleaseId = mutation.Release.Id,
            Mode = mode,
            Outcome = GateOutcomes.Rejected,
            ErrorCode = ErrorCodes.MutationRejected,
            CurrentReleaseId = environment?.CurrentReleaseId,
            EnvironmentStatus = environment?.Status ?? EnvironmentStatuses.Active,
            CompletedAt = clock.GetUtcNow(),
        }, ct);
        GateMetrics.GatesCompleted.Add(1, new KeyValuePair<string, object?>("outcome", GateOutcomes.Rejected));
    }

    private async Task SupersedeAsync(BehaviorContext<ReleaseLifecycleState, MutationCompleted> context, Guid newMutationJobId)
    {
        var saga = context.Saga;
        var ct = context.CancellationToken;
        logger.LogWarning("Gate for mutation {MutationJobId} of environment {EnvironmentId} superseded by mutation {NewMutationJobId}",
            saga.MutationJobId, saga.CorrelationId, newMutationJobId);
        if (saga.CurrentJobId is { } jobId)
        {
            await ledger.CancelJobAsync(jobId, new JobError
            {
                Code = ErrorCodes.GateSuperseded,
                Message = $"Superseded by mutation {newMutationJobId}.",
            }, Now, ct);
        }

        await ledger.CompleteGateAsync(saga.MutationJobId, GateOutcomes.Superseded, ErrorCodes.GateSuperseded, $"superseded by mutation {newMutationJobId}", Now, ct);
        await context.Publish(GateCompletedEvent(saga, GateOutcomes.Superseded, ErrorCodes.GateSuperseded, EnvironmentStatuses.InProgressFor(saga.MutationJobType)), ct);
        GateMetrics.GatesCompleted.Add(1, new KeyValuePair<string, object?>("outcome", GateOutcomes.Superseded));
    }

    private async Task<GateStep> CompleteAsync<T>(BehaviorContext<ReleaseLifecycleState, T> context, string outcome, string? errorCode, string environmentStatus, string reason)
        where T : class
    {
        var saga = context.Saga;
        var ct = context.CancellationToken;
        await PublishAsync(context, await ledger.ChangeEnvironmentStatusAsync(saga.CorrelationId, environmentStatus, reason, Now, ct));
        await ledger.CompleteGateAsync(saga.MutationJobId, outcome, errorCode, reason, Now, ct);
        await context.Publish(GateCompletedEvent(saga, outcome, errorCode, environmentStatus), ct);
        GateMetrics.GatesCompleted.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

        var level = environmentStatus == EnvironmentStatuses.Failed ? LogLevel.Error : LogLevel.Information;
        logger.Log(level, "Gate for mutation {MutationJobId} of environment {EnvironmentId} ended {Outcome} ({ErrorCode}); environment {Status}: {Reason}",
            saga.MutationJobId, saga.CorrelationId, outcome, errorCode ?? "no error", environmentStatus, reason);

        saga.CurrentJobId = null;
        saga.CurrentJobType = null;
        saga.DeadlineAt = null;
        return environmentStatus == EnvironmentStatuses.Failed ? GateStep.Failed : GateStep.Active;
    }

    private GateCompleted GateCompletedEvent(ReleaseLifecycleState saga, string outcome, string? errorCode, string environmentStatus) => new()
    {
        MutationJobId = saga.MutationJobId,
        MutationJobType = saga.MutationJobType,
        EnvironmentId = saga.CorrelationId,
        SiteId = saga.SiteId,
        ReleaseId = saga.ReleaseId,
        Mode = saga.GateMode,
        Outcome = outcome,
        ErrorCode = errorCode,
        CurrentReleaseId = outcome == GateOutcomes.RolledBack ? saga.RollbackTargetId : saga.ReleaseId,
        EnvironmentStatus = environmentStatus,
        CompletedAt = clock.GetUtcNow(),
    };

    private static NodeRef Node(ReleaseLifecycleState saga) => new()
    {
        Id = saga.NodeId,
        Hostname = saga.NodeHostname,
        SshPort = saga.NodeSshPort,
        SshUser = saga.NodeSshUser,
    };

    private static bool IsAnsibleCode(string code) => code.StartsWith("ANSIBLE_", StringComparison.Ordinal) || code == ErrorCodes.JobTimeout;

    private static async Task PublishAsync<TEvent>(ConsumeContext context, TEvent? message)
        where TEvent : class
    {
        if (message is not null)
        {
            await context.Publish(message, context.CancellationToken);
        }
    }
}
