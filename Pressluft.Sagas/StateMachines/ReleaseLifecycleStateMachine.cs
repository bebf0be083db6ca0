using MassTransit;
using Microsoft.Extensions.Logging;
using Pressluft.Contracts;
using Pressluft.Sagas.Gate;
using Pressluft.Sagas.Messages;

namespace Pressluft.Sagas.StateMachines;

/// <summary>
/// The health gate of one environment. A completed mutation starts a gate (HealthChecking); a pass makes the
/// environment active; a failure marks the release unhealthy and rolls back (RollingBack), the restored release
/// is checked again (VerifyingRollback), and the environment ends active or failed. Answers for any job but the
/// current one are stale and change nothing. What each accepted message does lives in <see cref="ReleaseGate"/>.
/// </summary>
public sealed class ReleaseLifecycleStateMachine : MassTransitStateMachine<ReleaseLifecycleState>
{
    public ReleaseLifecycleStateMachine(ILogger<ReleaseLifecycleStateMachine> logger)
    {
        InstanceState(x => x.CurrentState);

        Event(() => MutationCompleted, e => e.CorrelateById(x => x.Message.EnvironmentId));
        Event(() => JobStarted, e => { e.CorrelateById(x => x.Message.EnvironmentId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => HealthCheckPassed, e => { e.CorrelateById(x => x.Message.EnvironmentId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => HealthCheckFailed, e => { e.CorrelateById(x => x.Message.EnvironmentId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => RollbackCompleted, e => { e.CorrelateById(x => x.Message.EnvironmentId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => RollbackFailed, e => { e.CorrelateById(x => x.Message.EnvironmentId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => HealthCheckDeadlineExpired, e => { e.CorrelateById(x => x.Message.EnvironmentId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => HealthCheckRetryDue, e => { e.CorrelateById(x => x.Message.EnvironmentId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => RollbackDeadlineExpired, e => { e.CorrelateById(x => x.Message.EnvironmentId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => ResetEnvironment, e => { e.CorrelateById(x => x.Message.EnvironmentId); e.OnMissingInstance(m => m.Fault()); });

        Initially(
            When(MutationCompleted).Gate((gate, context) => gate.BeginAsync(context, gateRunning: false), this));

        During(Active,
            When(MutationCompleted).Gate((gate, context) => gate.BeginAsync(context, gateRunning: false), this));

        During(HealthChecking, RollingBack, VerifyingRollback,
            When(MutationCompleted).Gate((gate, context) => gate.BeginAsync(context, gateRunning: true), this),
            When(JobStarted, x => x.Saga.IsAwaiting(x.Message.JobId, x.Message.Attempt))
                .Gate((gate, context) => gate.JobStartedAsync(context), this));

        During(HealthChecking,
            When(HealthCheckPassed, x => x.Saga.IsAwaiting(x.Message.JobId, x.Message.Attempt))
                .Gate((gate, context) => gate.CheckPassedAsync(context, verifying: false), this),
            When(HealthCheckFailed, x => x.Saga.IsAwaiting(x.Message.JobId, x.Message.Attempt))
                .Gate((gate, context) => gate.CheckFailedAsync(context, verifying: false), this),
            When(HealthCheckDeadlineExpired, x => x.Saga.IsAwaiting(x.Message.JobId, x.Message.Attempt))
                .Gate((gate, context) => gate.CheckDeadlineAsync(context, verifying: false), this),
            When(HealthCheckRetryDue, x => x.Saga.IsAwaiting(x.Message.JobId, x.Message.Attempt))
                .Gate((gate, context) => gate.RetryCheckAsync(context, verifying: false), this));

        During(VerifyingRollback,
            When(HealthCheckPassed, x => x.Saga.IsAwaiting(x.Message.JobId, x.Message.Attempt))
                .Gate((gate, context) => gate.CheckPassedAsync(context, verifying: true), this),
            When(HealthCheckFailed, x => x.Saga.IsAwaiting(x.Message.JobId, x.Message.Attempt))
                .Gate((gate, context) => gate.CheckFailedAsync(context, verifying: true), this),
            When(HealthCheckDeadlineExpired, x => x.Saga.IsAwaiting(x.Message.JobId, x.Message.Attempt))
                .Gate((gate, context) => gate.CheckDeadlineAsync(context, verifying: true), this),
            When(HealthCheckRetryDue, x => x.Saga.IsAwaiting(x.Message.JobId, x.Message.Attempt))
                .Gate((gate, context) => gate.RetryCheckAsync(context, verifying: true), this));

        During(RollingBack,
            When(RollbackCompleted, x => x.Saga.IsAwaiting(x.Message.JobId, 1))
                .Gate((gate, context) => gate.RollbackCompletedAsync(context), this),
            When(RollbackFailed, x => x.Saga.IsAwaiting(x.Message.JobId, 1))
                .Gate((gate, context) => gate.RollbackFailedAsync(context), this),
            When(RollbackDeadlineExpired, x => x.Saga.IsAwaiting(x.Message.JobId, 1))
                .Gate((gate, context) => gate.RollbackDeadlineAsync(context), this));

        During(Failed,
            When(ResetEnvironment).Gate((gate, context) => gate.ResetAsync(context), this),
            When(MutationCompleted).Then(x =>
            {
                logger.LogWarning("Environment {EnvironmentId} is failed: mutation {MutationJobId} not gated until an operator resets it",
                    x.Saga.CorrelationId, x.Message.MutationJobId);
                GateMetrics.IgnoredMutations.Add(1, new KeyValuePair<string, object?>("reason", "environment-failed"));
            }));

        // Everything below changes nothing: stale answers (another job or attempt), and resets of an environment that is not failed.
        DuringAny(
            When(JobStarted, x => !x.Saga.IsAwaiting(x.Message.JobId, x.Message.Attempt)).Then(x => Stale(logger, x, x.Message.JobId)),
            When(HealthCheckPassed, x => !x.Saga.IsAwaiting(x.Message.JobId, x.Message.Attempt)).Then(x => Stale(logger, x, x.Message.JobId)),
            When(HealthCheckFailed, x => !x.Saga.IsAwaiting(x.Message.JobId, x.Message.Attempt)).Then(x => Stale(logger, x, x.Message.JobId)),
            When(HealthCheckDeadlineExpired, x => !x.Saga.IsAwaiting(x.Message.JobId, x.Message.Attempt)).Then(x => Stale(logger, x, x.Message.JobId)),
            When(HealthCheckRetryDue, x => !x.Saga.IsAwaiting(x.Message.JobId, x.Message.Attempt)).Then(x => Stale(logger, x, x.Message.JobId)),
            When(RollbackCompleted, x => !x.Saga.IsAwaiting(x.Message.JobId, 1)).Then(x => Stale(logger, x, x.Message.JobId)),
            When(RollbackFailed, x => !x.Saga.IsAwaiting(x.Message.JobId, 1)).Then(x => Stale(logger, x, x.Message.JobId)),
            When(RollbackDeadlineExpired, x => !x.Saga.IsAwaiting(x.Message.JobId, 1)).Then(x => Stale(logger, x, x.Message.JobId)));

        OnUnhandledEvent(x =>
        {
            logger.LogWarning("Environment {EnvironmentId} in state {State} ignored {Event}", x.Saga.CorrelationId, x.Saga.CurrentState, x.Event.Name);
            return Task.CompletedTask;
        });
    }

    public State HealthChecking { get; private set; } = null!;
    public State RollingBack { get; private set; } = null!;
    public State VerifyingRollback { get; private set; } = null!;
    public State Active { get; private set; } = null!;
    public State Failed { get; private set; } = null!;

    public Event<MutationCompleted> MutationCompleted { get; private set; } = null!;
    public Event<JobStarted> JobStarted { get; private set; } = null!;
    public Event<HealthCheckPassed> HealthCheckPassed { get; private set; } = null!;
    public Event<HealthCheckFailed> HealthCheckFailed { get; private set; } = null!;
    public Event<RollbackCompleted> RollbackCompleted { get; private set; } = null!;
    public Event<RollbackFailed> RollbackFailed { get; private set; } = null!;
    public Event<HealthCheckDeadlineExpired> HealthCheckDeadlineExpired { get; private set; } = null!;
    public Event<HealthCheckRetryDue> HealthCheckRetryDue { get; private set; } = null!;
    public Event<RollbackDeadlineExpired> RollbackDeadlineExpired { get; private set; } = null!;
    public Event<ResetEnvironment> ResetEnvironment { get; private set; } = null!;

    internal State StateFor(GateStep step) => step switch
    {
        GateStep.HealthChecking => HealthChecking,
        GateStep.RollingBack => RollingBack,
        GateStep.VerifyingRollback => VerifyingRollback,
        GateStep.Active => Active,
        GateStep.Failed => Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(step), step, "Stay has no state"),
    };

    private static void Stale(ILogger logger, BehaviorContext<ReleaseLifecycleState> context, Guid jobId)
    {
        logger.LogInformation("Stale {Event} for job {JobId} ignored: environment {EnvironmentId} waits for job {CurrentJobId} attempt {Attempt} in state {State}",
            context.Event.Name, jobId, context.Saga.CorrelationId, context.Saga.CurrentJobId, context.Saga.Attempt, context.Saga.CurrentState);
        GateMetrics.StaleAnswers.Add(1, new KeyValuePair<string, object?>("event", context.Event.Name));
    }
}
