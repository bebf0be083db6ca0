using MassTransit;
using Microsoft.Extensions.Logging;
using Pressluft.Contracts;
using Pressluft.Sagas.Ledger;
using Pressluft.Sagas.StateMachines;

namespace Pressluft.Sagas.Gate;

/// <summary>
/// A gate's own record: opening it for an admitted mutation (the ledger records the new live release and puts the
/// environment in progress), superseding it when a newer mutation arrives, and completing it with an outcome.
/// </summary>
public sealed class GateLifecycle(IReleaseLedger ledger, IDeadlines deadlines, GuardedConfig config, TimeProvider clock, ILogger<GateLifecycle> logger)
{
    // The environment's move into progress when a gate opens or resumes, published only after the health check request
    // (AnnounceStatusAsync): the outbox delivers in the order messages were sent, and on RabbitMQ each send waits for its
    // publisher confirm, so a status event sent first would hold the request back by one confirm. Both commit together.
    private EnvironmentStatusChanged? _pendingStatus;

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public async Task OpenAsync(BehaviorContext<ReleaseLifecycleState, MutationCompleted> context)
    {
        var recorded = await ledger.RecordMutationAsync(context.Message, context.CancellationToken);
        _pendingStatus = recorded.StatusChange;
        await StartAsync(context, recorded);
    }

    /// <summary>Publishes the status change the opened or resumed gate made, once the transition's request is sent.</summary>
    public async Task AnnounceStatusAsync(ConsumeContext context)
    {
        var pending = _pendingStatus;
        _pendingStatus = null;
        await context.PublishIfAny(pending);
    }

    /// <summary>
    /// A mutation of a failed environment: its release is recorded live (the deployer moved <c>current</c>) and its gate
    /// opened, but the environment stays failed and nothing is checked until an operator resets it.
    /// </summary>
    public async Task HoldAsync(BehaviorContext<ReleaseLifecycleState, MutationCompleted> context)
    {
        var recorded = await ledger.RecordHeldMutationAsync(context.Message, context.CancellationToken);
        await StartAsync(context, recorded);
        logger.LogWarning("Environment {EnvironmentId} is failed: release {ReleaseId} of mutation {MutationJobId} is live but held unchecked until an operator resets the environment",
            context.Saga.CorrelationId, context.Message.Release.Id, context.Message.MutationJobId);
    }

    /// <summary>The operator's reset of an environment holding a gate: back in progress, to check what is live now.</summary>
    public async Task ResumeAsync(BehaviorContext<ReleaseLifecycleState, ResetEnvironment> context)
    {
        var saga = context.Saga;
        var reset = context.Message;
        var reason = $"reset by {reset.RequestedBy}{(string.IsNullOrWhiteSpace(reset.Reason) ? "" : $": {reset.Reason}")}; gating release {saga.ReleaseId} of mutation {saga.MutationJobId}, held while the environment was failed";
        logger.LogWarning("Environment {EnvironmentId} {Reason}", saga.CorrelationId, reason);
        _pendingStatus = await ledger.ChangeEnvironmentStatusAsync(saga.CorrelationId, EnvironmentStatuses.InProgressFor(saga.MutationJobType), reason, Now,
            context.CancellationToken);
    }

    private async Task StartAsync(BehaviorContext<ReleaseLifecycleState, MutationCompleted> context, MutationRecorded recorded)
    {
        var saga = context.Saga;
        var mutation = context.Message;
        var ct = context.CancellationToken;
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
        saga.MutationCompletedAt = mutation.CompletedAt.UtcDateTime;
        saga.BackupReference = mutation.BackupReference;
        saga.GateMode = mode.ToString();
        saga.ReleaseId = mutation.Release.Id;
        saga.ReleasePath = mutation.Release.Path;
        var prior = mutation.PreviousRelease?.Id ?? recorded.PreviousCurrentReleaseId;
        saga.PriorReleaseId = prior == mutation.Release.Id ? null : prior;
        saga.RollbackTargetId = null;
        saga.RollbackTargetPath = null;
        saga.CheckedReleaseId = null;
        saga.CheckedReleasePath = null;
        saga.FailureCode = null;
        saga.CurrentJobId = null;
        saga.DeadlineId = null;
        saga.Attempt = 0;

        await ledger.StartGateAsync(
            new GateStart(mutation.MutationJobId, mutation.JobType, mutation.SiteId, mutation.EnvironmentId, mutation.Release.Id, saga.GateMode, Now), ct);
        GateMetrics.GatesStarted.Add(1, new KeyValuePair<string, object?>("mode", saga.GateMode));
        if (mode != GateMode.Enforce)
        {
            logger.LogWarning("Health gate for {JobType} runs in {Mode} mode (guarded config): release {ReleaseId} of environment {EnvironmentId} will not be rolled back",
                mutation.JobType, saga.GateMode, mutation.Release.Id, mutation.EnvironmentId);
        }
    }

    /// <summary>Whether the gate was opened with the check switched off for its operation.</summary>
    public static bool IsDisabled(ReleaseLifecycleState saga) => saga.GateMode == nameof(GateMode.Disabled);

    /// <summary>Whether the gate was opened to report health only, never to roll back.</summary>
    public static bool IsReportOnly(ReleaseLifecycleState saga) => saga.GateMode == nameof(GateMode.ReportOnly);

    /// <summary>Ends the running gate because a newer mutation of the environment arrived; its job is cancelled.</summary>
    public async Task SupersedeAsync(BehaviorContext<ReleaseLifecycleState, MutationCompleted> context)
    {
        var saga = context.Saga;
        var ct = context.CancellationToken;
        var newMutationJobId = context.Message.MutationJobId;
        logger.LogWarning("Gate for mutation {MutationJobId} of environment {EnvironmentId} superseded by mutation {NewMutationJobId}",
            saga.MutationJobId, saga.CorrelationId, newMutationJobId);
        await deadlines.CancelCurrentAsync(saga, ct);
        if (saga.CurrentJobId is { } jobId)
        {
            await ledger.CancelJobAsync(jobId, new JobError { Code = ErrorCodes.GateSuperseded, Message = $"Superseded by mutation {newMutationJobId}." }, Now, ct);
        }

        await ledger.CompleteGateAsync(saga.MutationJobId, GateOutcomes.Superseded, ErrorCodes.GateSuperseded, $"superseded by mutation {newMutationJobId}", Now, ct);
        var status = (await ledger.FindEnvironmentAsync(saga.CorrelationId, ct))?.Status ?? EnvironmentStatuses.InProgressFor(saga.MutationJobType);
        await context.Publish(Completed(saga, GateOutcomes.Superseded, ErrorCodes.GateSuperseded, status), ct);
        GateMetrics.GateCompleted(GateOutcomes.Superseded, saga.GateMode);
    }

    /// <summary>
    /// Ends the gate with <paramref name="outcome"/>: the environment becomes failed for a failed gate and active for any
    /// other, the gate row records the outcome with the code the gate failed or rolled back for, and GateCompleted goes out.
    /// </summary>
    public async Task CompleteAsync(BehaviorContext<ReleaseLifecycleState> context, string outcome)
    {
        var saga = context.Saga;
        var ct = context.CancellationToken;
        var errorCode = outcome is GateOutcomes.Passed or GateOutcomes.Skipped ? null : saga.FailureCode;
        var status = outcome == GateOutcomes.Failed ? EnvironmentStatuses.Failed : EnvironmentStatuses.Active;
        var reason = Reason(saga, outcome);
        await context.PublishIfAny(await ledger.ChangeEnvironmentStatusAsync(saga.CorrelationId, status, reason, Now, ct));
        await ledger.CompleteGateAsync(saga.MutationJobId, outcome, errorCode, reason, Now, ct);
        await context.Publish(Completed(saga, outcome, errorCode, status), ct);
        GateMetrics.GateCompleted(outcome, saga.GateMode);

        logger.Log(status == EnvironmentStatuses.Failed ? LogLevel.Error : LogLevel.Information,
            "Gate for mutation {MutationJobId} of environment {EnvironmentId} ended {Outcome} ({ErrorCode}); environment {Status}: {Reason}",
            saga.MutationJobId, saga.CorrelationId, outcome, errorCode ?? "no error", status, reason);
        saga.CurrentJobId = null;
    }

    // Why the environment ends as it does, in the words the ledger and the status history show.
    private static string Reason(ReleaseLifecycleState saga, string outcome) => (outcome, saga.FailureCode) switch
    {
        (GateOutcomes.Passed, _) => $"release {saga.ReleaseId} passed its health check",
        (GateOutcomes.Skipped, _) => $"health gate disabled for {saga.MutationJobType}; no check ran",
        (GateOutcomes.Reported, var code) => $"release {saga.ReleaseId} unhealthy ({code}); report-only, not rolled back",
        (GateOutcomes.RolledBack, _) => $"release {saga.ReleaseId} rolled back to {saga.RollbackTargetId}, which passed its health check",
        (_, ErrorCodes.RollbackNoPriorRelease) => $"release {saga.ReleaseId} unhealthy and no release to roll back to",
        (_, ErrorCodes.RollbackFailed or ErrorCodes.RollbackTimeout) => $"rollback to release {saga.RollbackTargetId} failed ({saga.FailureCode})",
        (_, ErrorCodes.RollbackVerificationFailed) => $"restored release {saga.RollbackTargetId} failed verification; not rolling back again",
        (_, ErrorCodes.JobRejected) => "health check JOB_REJECTED: the runner refused the job, nothing was measured; held for an operator",
        (_, var code) => $"health check {code} after every retry; held for an operator",
    };

    private GateCompleted Completed(ReleaseLifecycleState saga, string outcome, string? errorCode, string environmentStatus) => new()
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
}
