using MassTransit;
using Pressluft.Sagas.Gate;

namespace Pressluft.Sagas.StateMachines;

internal static class GateBehaviorExtensions
{
    /// <summary>
    /// Hands the message to the scoped <see cref="ReleaseGate"/>, stages its ledger changes, and moves the saga
    /// to the state the gate chose.
    /// </summary>
    public static EventActivityBinder<ReleaseLifecycleState, TMessage> Gate<TMessage>(
        this EventActivityBinder<ReleaseLifecycleState, TMessage> binder,
        Func<ReleaseGate, BehaviorContext<ReleaseLifecycleState, TMessage>, Task<GateStep>> handle,
        ReleaseLifecycleStateMachine machine)
        where TMessage : class =>
        binder.ThenAsync(async context =>
        {
            var gate = context.GetServiceOrCreateInstance<ReleaseGate>();
            var step = await handle(gate, context);
            context.Saga.UpdatedAt = DateTime.UtcNow;
            await gate.SaveAsync(context.CancellationToken);
            if (step != GateStep.Stay)
            {
                await context.TransitionToState(machine.StateFor(step));
            }
        });

    /// <summary>Whether the saga waits for this job and attempt (anything else is a stale answer).</summary>
    public static bool IsAwaiting(this ReleaseLifecycleState saga, Guid jobId, int attempt) =>
        saga.CurrentJobId == jobId && saga.Attempt == attempt;
}
