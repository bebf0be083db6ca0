using MassTransit;
using Pressluft.Contracts;
using Pressluft.Sagas.Gate;
using Pressluft.Sagas.Validation;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// The first filter of <c>mutation-intake</c>, before retry, the environment's partition and the unit of work: a message
/// that is not a <see cref="MutationCompleted"/> alone (another type, or an envelope that also names another), or that breaks
/// a field rule, is refused into <c>mutation-intake_error</c> with the reason. So what a publisher puts on the public
/// queue reaches the saga's machinery only as a valid mutation: nothing else waits in an environment's partition ahead
/// of its runners' answers, or opens a database transaction. A mutation it lets in is marked
/// <see cref="RefuseLedgerConflicts"/>: if it contradicts the ledger, the saga refuses it into the same error queue with
/// the reason (its admission reads the ledger once, after the saga's row is loaded), instead of recording a rejected gate.
/// </summary>
public sealed class MutationIntakeDoor(IReadOnlyList<IMessageValidator<MutationCompleted>> validators) : IFilter<ConsumeContext>
{
    // The names an envelope of a MutationCompleted carries: its own and those of the interfaces it implements.
    private static readonly HashSet<string> MutationTypes = new(MessageTypeCache.GetMessageTypeNames(typeof(MutationCompleted)), StringComparer.OrdinalIgnoreCase);

    public Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        var others = context.SupportedMessageTypes.Where(t => !MutationTypes.Contains(t)).ToList();
        if (others.Count > 0 || !context.TryGetMessage<MutationCompleted>(out var message))
        {
            throw new RejectedMessageException("message", [others.Count > 0
                ? $"{MutationIntake.QueueName} takes {nameof(MutationCompleted)} only, not {FieldRules.Quote(string.Join(";", others))}"
                : $"{MutationIntake.QueueName} takes {nameof(MutationCompleted)} only, and this is not one"]);
        }

        var problems = validators.ProblemsWith(message.Message);
        if (problems.Count > 0)
        {
            throw new RejectedMessageException(nameof(MutationCompleted), problems);
        }

        context.GetOrAddPayload(() => RefuseLedgerConflicts.Instance);
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("mutationIntakeDoor");
}
