using MassTransit;
using Pressluft.Contracts;
using Pressluft.Sagas.Gate;
using Pressluft.Sagas.Messages;

namespace Pressluft.Sagas.StateMachines;

/// <summary>
/// The steps <see cref="ReleaseLifecycleStateMachine"/> is written in, one per job a transition does. Each hands the
/// message to a small scoped service (<see cref="GateLifecycle"/>, <see cref="HealthCheckJobs"/>, <see cref="RollbackJobs"/>,
/// ...), which stages ledger changes and outgoing messages; the message's inbox/outbox commits them with the saga row.
/// </summary>
internal static class GateSteps
{
    public static EventActivityBinder<ReleaseLifecycleState, MutationCompleted> OpenGate(this EventActivityBinder<ReleaseLifecycleState, MutationCompleted> binder) =>
        binder.Step<GateLifecycle, MutationCompleted>((gate, x) => gate.OpenAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, MutationCompleted> SupersedeRunningGate(this EventActivityBinder<ReleaseLifecycleState, MutationCompleted> binder) =>
        binder.Step<GateLifecycle, MutationCompleted>((gate, x) => gate.SupersedeAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, MutationCompleted> HoldGate(this EventActivityBinder<ReleaseLifecycleState, MutationCompleted> binder) =>
        binder.Step<GateLifecycle, MutationCompleted>((gate, x) => gate.HoldAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, ResetEnvironment> ResumeHeldGate(this EventActivityBinder<ReleaseLifecycleState, ResetEnvironment> binder) =>
        binder.Step<GateLifecycle, ResetEnvironment>((gate, x) => gate.ResumeAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, T> AnnounceStatus<T>(this EventActivityBinder<ReleaseLifecycleState, T> binder)
        where T : class =>
        binder.Step<GateLifecycle, T>((gate, x) => gate.AnnounceStatusAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, T> CompleteGate<T>(this EventActivityBinder<ReleaseLifecycleState, T> binder, string outcome)
        where T : class =>
        binder.Step<GateLifecycle, T>((gate, x) => gate.CompleteAsync(x, outcome));

    public static EventActivityBinder<ReleaseLifecycleState, T> RequestGateCheck<T>(this EventActivityBinder<ReleaseLifecycleState, T> binder)
        where T : class =>
        binder.Step<HealthCheckJobs, T>((checks, x) => checks.RequestForGateAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, T> RequestCheckOfRestoredRelease<T>(this EventActivityBinder<ReleaseLifecycleState, T> binder)
        where T : class =>
        binder.Step<HealthCheckJobs, T>((checks, x) => checks.RequestForRestoredReleaseAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, JobStarted> RecordJobStarted(this EventActivityBinder<ReleaseLifecycleState, JobStarted> binder) =>
        binder.Step<HealthCheckJobs, JobStarted>((checks, x) => checks.RecordStartedAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, HealthCheckPassed> RecordCheckPassed(this EventActivityBinder<ReleaseLifecycleState, HealthCheckPassed> binder) =>
        binder.Step<HealthCheckJobs, HealthCheckPassed>((checks, x) => checks.RecordPassedAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, HealthCheckFailed> ScheduleCheckRetry(this EventActivityBinder<ReleaseLifecycleState, HealthCheckFailed> binder) =>
        binder.Step<HealthCheckJobs, HealthCheckFailed>((checks, x) => checks.ScheduleRetryAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, HealthCheckRetryDue> ResendHealthCheck(this EventActivityBinder<ReleaseLifecycleState, HealthCheckRetryDue> binder) =>
        binder.Step<HealthCheckJobs, HealthCheckRetryDue>((checks, x) => checks.ResendAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, JobResumeDue> ResumeHealthCheck(this EventActivityBinder<ReleaseLifecycleState, JobResumeDue> binder) =>
        binder.Step<HealthCheckJobs, JobResumeDue>((checks, x) => checks.ResumeAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, JobResumeDue> ResumeRollback(this EventActivityBinder<ReleaseLifecycleState, JobResumeDue> binder) =>
        binder.Step<RollbackJobs, JobResumeDue>((rollbacks, x) => rollbacks.ResumeAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, HealthCheckFailed> RecordCheckFailed(this EventActivityBinder<ReleaseLifecycleState, HealthCheckFailed> binder) =>
        binder.Step<HealthCheckJobs, HealthCheckFailed>((checks, x) => checks.RecordFailedAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, HealthCheckFailed> MarkReleaseUnhealthy(this EventActivityBinder<ReleaseLifecycleState, HealthCheckFailed> binder) =>
        binder.Step<HealthCheckJobs, HealthCheckFailed>((checks, x) => checks.MarkUnhealthyAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, HealthCheckFailed> RecordVerificationFailed(this EventActivityBinder<ReleaseLifecycleState, HealthCheckFailed> binder) =>
        binder.Step<HealthCheckJobs, HealthCheckFailed>((checks, x) => checks.RecordVerificationFailedAsync(x));

    /// <summary>A deadline that passes is an inconclusive check with HEALTH_CHECK_TIMEOUT: it is handled as that answer.</summary>
    public static EventActivityBinder<ReleaseLifecycleState, HealthCheckDeadlineExpired> HandleAsTimedOutCheck(
        this EventActivityBinder<ReleaseLifecycleState, HealthCheckDeadlineExpired> binder, Event<HealthCheckFailed> failed) =>
        binder.Add(new HandleAsActivity<HealthCheckDeadlineExpired, HealthCheckFailed>(failed, x => new HealthCheckFailed
        {
            JobId = x.Message.JobId,
            Attempt = x.Message.Attempt,
            EnvironmentId = x.Message.EnvironmentId,
            Verdict = HealthVerdicts.Inconclusive,
            Error = new JobError
            {
                Code = ErrorCodes.HealthCheckTimeout,
                Message = $"No health check answer for attempt {x.Message.Attempt} within {Wait(x.GetServiceOrCreateInstance<GuardedConfig>().Current)} (waiting for a runner and running).",
                Retryable = true,
            },
            CompletedAt = x.GetServiceOrCreateInstance<TimeProvider>().GetUtcNow(),
        }));

    public static EventActivityBinder<ReleaseLifecycleState, T> ChooseRollbackTarget<T>(this EventActivityBinder<ReleaseLifecycleState, T> binder)
        where T : class =>
        binder.Step<RollbackJobs, T>((rollbacks, x) => rollbacks.ChooseTargetAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, HealthCheckFailed> RequestRollback(this EventActivityBinder<ReleaseLifecycleState, HealthCheckFailed> binder) =>
        binder.Step<RollbackJobs, HealthCheckFailed>((rollbacks, x) => rollbacks.RequestAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, HealthCheckFailed> RecordNoRollbackTarget(this EventActivityBinder<ReleaseLifecycleState, HealthCheckFailed> binder) =>
        binder.Step<RollbackJobs, HealthCheckFailed>((rollbacks, x) => rollbacks.RecordNoTargetAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, RollbackCompleted> RecordRollbackCompleted(this EventActivityBinder<ReleaseLifecycleState, RollbackCompleted> binder) =>
        binder.Step<RollbackJobs, RollbackCompleted>((rollbacks, x) => rollbacks.RecordCompletedAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, RollbackFailed> RecordRollbackFailed(this EventActivityBinder<ReleaseLifecycleState, RollbackFailed> binder) =>
        binder.Step<RollbackJobs, RollbackFailed>((rollbacks, x) => rollbacks.RecordFailedAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, RollbackDeadlineExpired> RecordRollbackTimedOut(this EventActivityBinder<ReleaseLifecycleState, RollbackDeadlineExpired> binder) =>
        binder.Step<RollbackJobs, RollbackDeadlineExpired>((rollbacks, x) => rollbacks.RecordTimedOutAsync(x));

    public static EventActivityBinder<ReleaseLifecycleState, ResetEnvironment> ResetToActive(this EventActivityBinder<ReleaseLifecycleState, ResetEnvironment> binder) =>
        binder.Step<EnvironmentReset, ResetEnvironment>((reset, x) => reset.ResetAsync(x));

    private static TimeSpan Wait(HealthGateOptions settings) => settings.QueueTimeout + settings.HealthCheckDeadline;

    // Resolves the step's service from the message's scope (so it shares the scope's DbContext and ledger) and stamps the saga.
    private static EventActivityBinder<ReleaseLifecycleState, T> Step<TService, T>(this EventActivityBinder<ReleaseLifecycleState, T> binder,
        Func<TService, BehaviorContext<ReleaseLifecycleState, T>, Task> step)
        where TService : class
        where T : class =>
        binder.ThenAsync(async x =>
        {
            await step(x.GetServiceOrCreateInstance<TService>(), x);
            x.Saga.UpdatedAt = DateTime.UtcNow;
        });
}
