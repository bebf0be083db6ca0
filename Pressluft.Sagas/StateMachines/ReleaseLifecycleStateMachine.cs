using System.Linq.Expressions;
using MassTransit;
using Microsoft.Extensions.Logging;
using Pressluft.Contracts;
using Pressluft.Sagas.Gate;
using Pressluft.Sagas.Messages;

namespace Pressluft.Sagas.StateMachines;

/// <summary>
/// The health gate of one environment, as the feature spec tells it: a completed mutation opens a gate and the live
/// release is checked (HealthChecking); a pass makes the environment active; a failure marks the release unhealthy and
/// rolls back (RollingBack); the restored release is checked again (VerifyingRollback); the environment ends active or
/// failed, and an operator resets a failed one (a mutation meanwhile is held and gated at the reset: Held). Every state and message the gate handles, and where it leads, is here;
/// the work of each step is in <see cref="GateSteps"/>. docs/state-machines.md holds a diagram generated from this class.
/// </summary>
public sealed class ReleaseLifecycleStateMachine : MassTransitStateMachine<ReleaseLifecycleState>
{
    public ReleaseLifecycleStateMachine()
    {
        InstanceState(x => x.CurrentState);

        // One saga per environment: every message is correlated by its EnvironmentId (IEnvironmentMessage). Answers for an
        // environment without a saga are dropped; a reset of an unknown environment is an error the operator should see.
        Event(() => MutationCompleted, e => e.CorrelateById(x => x.Message.EnvironmentId));
        Event(() => ResetEnvironment, e => { e.CorrelateById(x => x.Message.EnvironmentId); e.OnMissingInstance(m => m.Fault()); });
        Answer(() => JobStarted);
        Answer(() => HealthCheckPassed);
        Answer(() => HealthCheckFailed);
        Answer(() => HealthCheckDeadlineExpired);
        Answer(() => HealthCheckRetryDue);
        Answer(() => RollbackCompleted);
        Answer(() => RollbackFailed);
        Answer(() => RollbackDeadlineExpired);
        Answer(() => JobResumeDue);

        // First, so they judge an answer before an accepting step below moves the saga on (declared after, they saw the
        // saga already waiting for the next job and called every accepted answer stale): an answer for any job or
        // attempt but the one awaited is stale, in every state, and changes nothing.
        DuringAny(
            Stale(JobStarted), Stale(HealthCheckPassed), Stale(HealthCheckFailed), Stale(HealthCheckDeadlineExpired),
            Stale(HealthCheckRetryDue), Stale(RollbackCompleted), Stale(RollbackFailed), Stale(RollbackDeadlineExpired), Stale(JobResumeDue));

        Initially(
            When(MutationCompleted)
                .IfAsync(MutationIsAdmitted, OpenGate));

        During(Active,
            When(MutationCompleted)
                .IfAsync(MutationIsAdmitted, OpenGate));

        During(HealthChecking, RollingBack, VerifyingRollback,
            When(MutationCompleted)
                .IfAsync(MutationIsAdmitted, newer => OpenGate(newer.SupersedeRunningGate())),
            When(JobStarted, Awaited)
                .RecordJobStarted());

        During(HealthChecking,
            When(HealthCheckPassed, Awaited)
                .RecordCheckPassed()
                .CompleteGate(GateOutcomes.Passed)
                .TransitionTo(Active),
            When(HealthCheckFailed, Awaited)
                .IfElse(CheckMayBeRetried,
                    retry => retry.ScheduleCheckRetry(),
                    verdict => verdict
                        .RecordCheckFailed()
                        .If(ReleaseWasMeasuredBad, bad => bad.MarkReleaseUnhealthy())
                        .IfElse(GateActsOnTheVerdict,
                            act => act
                                .IfElse(x => GateLifecycle.IsReportOnly(x.Saga),
                                    reportOnly => reportOnly
                                        .CompleteGate(GateOutcomes.Reported)
                                        .TransitionTo(Active),
                                    enforced => enforced
                                        .ChooseRollbackTarget()
                                        .IfElse(x => RollbackJobs.HasTarget(x.Saga),
                                            rollBack => rollBack
                                                .RequestRollback()
                                                .TransitionTo(RollingBack),
                                            nowhereToGo => nowhereToGo
                                                .RecordNoRollbackTarget()
                                                .CompleteGate(GateOutcomes.Failed)
                                                .TransitionTo(Failed))),
                            hold => hold
                                .CompleteGate(GateOutcomes.Failed)
                                .TransitionTo(Failed))));

        // Either check waits the same way: a deadline counts as a check that measured nothing, a retry or a restart sends
        // the awaited attempt again.
        During(HealthChecking, VerifyingRollback,
            When(HealthCheckDeadlineExpired, Awaited)
                .HandleAsTimedOutCheck(HealthCheckFailed),
            When(HealthCheckRetryDue, Awaited)
                .ResendHealthCheck(),
            When(JobResumeDue, Awaited)
                .ResumeHealthCheck());

        During(RollingBack,
            When(RollbackCompleted, Awaited)
                .RecordRollbackCompleted()
                .RequestCheckOfRestoredRelease()
                .TransitionTo(VerifyingRollback),
            When(RollbackFailed, Awaited)
                .RecordRollbackFailed()
                .CompleteGate(GateOutcomes.Failed)
                .TransitionTo(Failed),
            When(RollbackDeadlineExpired, Awaited)
                .RecordRollbackTimedOut()
                .CompleteGate(GateOutcomes.Failed)
                .TransitionTo(Failed),
            When(JobResumeDue, Awaited)
                .ResumeRollback());

        // The restored release is checked once; failing that, the environment waits for an operator (never flips again).
        During(VerifyingRollback,
            When(HealthCheckPassed, Awaited)
                .RecordCheckPassed()
                .CompleteGate(GateOutcomes.RolledBack)
                .TransitionTo(Active),
            When(HealthCheckFailed, Awaited)
                .IfElse(CheckMayBeRetried,
                    retry => retry.ScheduleCheckRetry(),
                    verdict => verdict
                        .RecordVerificationFailed()
                        .CompleteGate(GateOutcomes.Failed)
                        .TransitionTo(Failed)));

        // A failed environment gates nothing until an operator resets it. A mutation meanwhile is recorded (its release is
        // live) and its gate held; the reset then checks that release instead of calling an unchecked release active.
        During(Failed,
            When(ResetEnvironment)
                .ResetToActive()
                .TransitionTo(Active),
            When(MutationCompleted)
                .IfAsync(MutationIsAdmitted, held => held
                    .HoldGate()
                    .TransitionTo(Held)));

        During(Held,
            CheckOrSkip(When(ResetEnvironment)
                .ResumeHeldGate()),
            When(MutationCompleted)
                .IfAsync(MutationIsAdmitted, newer => newer
                    .SupersedeRunningGate()
                    .HoldGate()));

        // A reset of an environment that is not failed, or an answer in a state that awaits none: logged, nothing changes.
        OnUnhandledEvent(x =>
        {
            x.GetServiceOrCreateInstance<ILogger<ReleaseLifecycleStateMachine>>()
                .LogWarning("Environment {EnvironmentId} in state {State} ignored {Event}", x.Saga.CorrelationId, x.Saga.CurrentState, x.Event.Name);
            return Task.CompletedTask;
        });
    }

    public State HealthChecking { get; private set; } = null!;
    public State RollingBack { get; private set; } = null!;
    public State VerifyingRollback { get; private set; } = null!;
    public State Active { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State Held { get; private set; } = null!;

    public Event<MutationCompleted> MutationCompleted { get; private set; } = null!;
    public Event<ResetEnvironment> ResetEnvironment { get; private set; } = null!;
    public Event<JobStarted> JobStarted { get; private set; } = null!;
    public Event<HealthCheckPassed> HealthCheckPassed { get; private set; } = null!;
    public Event<HealthCheckFailed> HealthCheckFailed { get; private set; } = null!;
    public Event<HealthCheckDeadlineExpired> HealthCheckDeadlineExpired { get; private set; } = null!;
    public Event<HealthCheckRetryDue> HealthCheckRetryDue { get; private set; } = null!;
    public Event<RollbackCompleted> RollbackCompleted { get; private set; } = null!;
    public Event<RollbackFailed> RollbackFailed { get; private set; } = null!;
    public Event<RollbackDeadlineExpired> RollbackDeadlineExpired { get; private set; } = null!;
    public Event<JobResumeDue> JobResumeDue { get; private set; } = null!;

    // Opens a gate for an admitted mutation.
    private EventActivityBinder<ReleaseLifecycleState, MutationCompleted> OpenGate(EventActivityBinder<ReleaseLifecycleState, MutationCompleted> admitted) =>
        CheckOrSkip(admitted.OpenGate());

    // An open gate checks its release, unless the check is switched off for its operation: then it ends at once. The
    // request goes out before the environment's status change, so the runner gets it first.
    private EventActivityBinder<ReleaseLifecycleState, T> CheckOrSkip<T>(EventActivityBinder<ReleaseLifecycleState, T> open)
        where T : class =>
        open.IfElse(x => GateLifecycle.IsDisabled(x.Saga),
            disabled => disabled
                .AnnounceStatus()
                .CompleteGate(GateOutcomes.Skipped)
                .TransitionTo(Active),
            checking => checking
                .RequestGateCheck()
                .AnnounceStatus()
                .TransitionTo(HealthChecking));

    private static Task<bool> MutationIsAdmitted(BehaviorContext<ReleaseLifecycleState, MutationCompleted> x) =>
        x.GetServiceOrCreateInstance<MutationAdmission>().AdmitAsync(x);

    private static bool Awaited<T>(BehaviorContext<ReleaseLifecycleState, T> x)
        where T : class, IJobAnswer => x.Saga.Awaits(x.Message);

    private static bool CheckMayBeRetried(BehaviorContext<ReleaseLifecycleState, HealthCheckFailed> x) =>
        CheckVerdicts.MayRetry(x.Message, x.Saga.Attempt, x.GetServiceOrCreateInstance<GuardedConfig>().Current);

    private static bool ReleaseWasMeasuredBad(BehaviorContext<ReleaseLifecycleState, HealthCheckFailed> x) => CheckVerdicts.MeasuredBad(x.Message);

    private static bool GateActsOnTheVerdict(BehaviorContext<ReleaseLifecycleState, HealthCheckFailed> x) =>
        CheckVerdicts.GateActs(x.Message, x.GetServiceOrCreateInstance<GuardedConfig>().Current);

    private void Answer<T>(Expression<Func<Event<T>>> answer)
        where T : class, IJobAnswer =>
        Event(answer, e =>
        {
            e.CorrelateById(x => x.Message.EnvironmentId);
            e.OnMissingInstance(m => m.Discard());
        });

    private EventActivityBinder<ReleaseLifecycleState, T> Stale<T>(Event<T> answer)
        where T : class, IJobAnswer =>
        When(answer, x => !x.Saga.Awaits(x.Message)).Then(x =>
        {
            x.GetServiceOrCreateInstance<ILogger<ReleaseLifecycleStateMachine>>().LogInformation(
                "Stale {Event} for job {JobId} attempt {AnswerAttempt} ignored: environment {EnvironmentId} waits for job {CurrentJobId} attempt {Attempt} in state {State}",
                x.Event.Name, x.Message.JobId, x.Message.Attempt, x.Saga.CorrelationId, x.Saga.CurrentJobId, x.Saga.Attempt, x.Saga.CurrentState);
            GateMetrics.StaleAnswers.Add(1, new KeyValuePair<string, object?>("event", x.Event.Name));
        });
}
