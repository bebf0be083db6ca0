using MassTransit;

namespace Pressluft.Sagas.StateMachines;

/// <summary>A step that hands its message on as another event of the same saga, so the other event's rules decide.</summary>
internal interface IHandledAs
{
    /// <summary>The event the message is handled as.</summary>
    Event Event { get; }
}

/// <summary>
/// Raises <typeparamref name="TEvent"/>, built from the current message, on the same saga in the same transaction. A
/// named activity (not a lambda), so <see cref="StateMachineDiagram"/> can show where the message leads.
/// </summary>
internal sealed class HandleAsActivity<TMessage, TEvent>(Event<TEvent> target, Func<BehaviorContext<ReleaseLifecycleState, TMessage>, TEvent> convert)
    : IStateMachineActivity<ReleaseLifecycleState, TMessage>, IHandledAs
    where TMessage : class
    where TEvent : class
{
    public Event Event => target;

    public async Task Execute(BehaviorContext<ReleaseLifecycleState, TMessage> context, IBehavior<ReleaseLifecycleState, TMessage> next)
    {
        await context.Raise(target, convert(context));
        await next.Execute(context);
    }

    public Task Faulted<TException>(BehaviorExceptionContext<ReleaseLifecycleState, TMessage, TException> context, IBehavior<ReleaseLifecycleState, TMessage> next)
        where TException : Exception => next.Faulted(context);

    public void Accept(StateMachineVisitor visitor) => visitor.Visit(this);

    public void Probe(ProbeContext context) => context.CreateScope("handle-as").Add("event", target.Name);
}
