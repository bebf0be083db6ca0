using System.Text;
using MassTransit;
using MassTransit.SagaStateMachine;

namespace Pressluft.Sagas.StateMachines;

/// <summary>
/// Draws a state machine from the machine itself: MassTransit core walks every state, the events bound in it and their
/// activities (both branches of every condition), and each transition found becomes an edge. The result is a Mermaid
/// diagram and a table, written between two markers in a Markdown file, so the docs cannot drift from the code.
/// </summary>
public static class StateMachineDiagram
{
    public const string Begin = "<!-- state-diagram:begin (generated from ReleaseLifecycleStateMachine by `pressluft state-diagram docs/state-machines.md`; do not edit by hand) -->";
    public const string End = "<!-- state-diagram:end -->";

    /// <summary>The generated section, markers included.</summary>
    public static string Render<TSaga>(MassTransitStateMachine<TSaga> machine)
        where TSaga : class, SagaStateMachineInstance
    {
        ArgumentNullException.ThrowIfNull(machine);
        var collector = new TransitionCollector<TSaga>();
        machine.Accept(collector);
        foreach (var (state, @event, target) in collector.HandledAs)
        {
            foreach (var to in collector.Transitions.Where(t => t.From == state && t.Event == target).Select(t => t.To).ToList())
            {
                collector.Transitions.Add((state, @event, to));
            }
        }

        var states = Ordered(machine, collector);

        var text = new StringBuilder().Append(Begin).Append("\n\n```mermaid\nstateDiagram-v2\n");
        foreach (var (from, to, events) in collector.Transitions
                     .GroupBy(t => (t.From, t.To))
                     .Select(g => (g.Key.From, g.Key.To, Events: string.Join(", ", g.Select(t => t.Event).Distinct().Order(StringComparer.Ordinal))))
                     .OrderBy(t => states.IndexOf(t.From)).ThenBy(t => states.IndexOf(t.To)))
        {
            text.Append("    ").Append(Node(machine, from)).Append(" --> ").Append(Node(machine, to)).Append(" : ").Append(events).Append('\n');
        }

        text.Append("```\n\n| in state | on | leads to |\n|---|---|---|\n");
        foreach (var state in states)
        {
            var handled = collector.Handled.GetValueOrDefault(state, []).Order(StringComparer.Ordinal).ToList();
            var staying = new List<string>();
            foreach (var @event in handled)
            {
                var targets = collector.Transitions.Where(t => t.From == state && t.Event == @event).Select(t => t.To).Distinct().OrderBy(states.IndexOf).ToList();
                if (targets.Count == 0)
                {
                    staying.Add(@event);
                    continue;
                }

                var handledAs = collector.HandledAs.Where(h => h.State == state && h.Event == @event).Select(h => $" (handled as {h.As})");
                text.Append("| ").Append(state).Append(" | ").Append(@event).Append(string.Concat(handledAs)).Append(" | ")
                    .Append(string.Join(" or ", targets)).Append(" |\n");
            }

            if (staying.Count > 0)
            {
                text.Append("| ").Append(state).Append(" | ").Append(string.Join(", ", staying)).Append(" | (stays) |\n");
            }
        }

        return text.Append('\n').Append(End).ToString();
    }

    /// <summary>Replaces the generated section of <paramref name="markdown"/> (between the markers) with <paramref name="section"/>.</summary>
    public static string Replace(string markdown, string section)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var begin = markdown.IndexOf(Begin, StringComparison.Ordinal);
        var end = markdown.IndexOf(End, StringComparison.Ordinal);
        if (begin < 0 || end < begin)
        {
            throw new InvalidOperationException($"The document has no generated section ({Begin} ... {End}).");
        }

        return markdown[..begin] + section + markdown[(end + End.Length)..];
    }

    /// <summary>The generated section as it stands in <paramref name="markdown"/>.</summary>
    public static string? Extract(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var begin = markdown.IndexOf(Begin, StringComparison.Ordinal);
        var end = markdown.IndexOf(End, StringComparison.Ordinal);
        return begin < 0 || end < begin ? null : markdown[begin..(end + End.Length)];
    }

    // Initial first and Final last, the others as the machine declares them.
    private static List<string> Ordered<TSaga>(MassTransitStateMachine<TSaga> machine, TransitionCollector<TSaga> collector)
        where TSaga : class, SagaStateMachineInstance
    {
        var names = machine.States.Select(s => s.Name).Where(n => n != machine.Initial.Name && n != machine.Final.Name).ToList();
        return [machine.Initial.Name, .. names, machine.Final.Name, .. collector.Handled.Keys.Except(names).Except([machine.Initial.Name, machine.Final.Name])];
    }

    private static string Node<TSaga>(MassTransitStateMachine<TSaga> machine, string state)
        where TSaga : class, SagaStateMachineInstance =>
        state == machine.Initial.Name || state == machine.Final.Name ? "[*]" : state;

    private sealed class TransitionCollector<TSaga> : StateMachineVisitor
        where TSaga : class, SagaStateMachineInstance
    {
        private string? _state;
        private string? _event;

        public SortedSet<(string From, string Event, string To)> Transitions { get; } = [];

        public Dictionary<string, HashSet<string>> Handled { get; } = [];

        /// <summary>(state, event, the event it is handled as): the event leads wherever the other one does.</summary>
        public List<(string State, string Event, string As)> HandledAs { get; } = [];

        public void Visit(State state, Action<State> next)
        {
            _state = state.Name;
            next(state);
        }

        public void Visit(Event @event, Action<Event> next)
        {
            _event = @event.Name;
            next(@event);
        }

        public void Visit<TMessage>(Event<TMessage> @event, Action<Event<TMessage>> next)
            where TMessage : class
        {
            _event = @event.Name;
            next(@event);
        }

        public void Visit(IStateMachineActivity activity) => Visit(activity, _ => { });

        public void Visit(IStateMachineActivity activity, Action<IStateMachineActivity> next)
        {
            if (_state is { } state && _event is { } @event)
            {
                if (!Handled.TryGetValue(state, out var events))
                {
                    Handled[state] = events = [];
                }

                events.Add(@event);
                if (activity is TransitionActivity<TSaga> transition)
                {
                    Transitions.Add((state, @event, transition.ToState.Name));
                }
                else if (activity is IHandledAs handledAs)
                {
                    HandledAs.Add((state, @event, handledAs.Event.Name));
                }
            }

            next(activity);
        }

        public void Visit<T>(IBehavior<T> behavior)
            where T : class, SagaStateMachineInstance => Visit(behavior, _ => { });

        public void Visit<T>(IBehavior<T> behavior, Action<IBehavior<T>> next)
            where T : class, SagaStateMachineInstance => next(behavior);

        public void Visit<T, TMessage>(IBehavior<T, TMessage> behavior)
            where T : class, SagaStateMachineInstance
            where TMessage : class => Visit(behavior, _ => { });

        public void Visit<T, TMessage>(IBehavior<T, TMessage> behavior, Action<IBehavior<T, TMessage>> next)
            where T : class, SagaStateMachineInstance
            where TMessage : class => next(behavior);
    }
}
