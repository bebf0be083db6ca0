using MassTransit;
using Pressluft.Contracts;
using Pressluft.Sagas.Gate;
using Pressluft.Sagas.Validation;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// The intake's ledger rule on <c>mutation-intake</c>, inside the message's unit of work, after the door
/// (<see cref="MutationIntakeDoor"/>): marks the context (<see cref="RefuseLedgerConflicts"/>) so that the saga refuses a
/// <see cref="MutationCompleted"/> that contradicts the ledger (an environment of another site, a release of another
/// environment, a release that moved) into <c>mutation-intake_error</c> with the reason, instead of recording a rejected
/// gate. The saga's admission reads the ledger after the saga's row is loaded, so the one read also sees what another
/// runner recorded meanwhile. Any other message type is refused here too (the door refuses them first).
/// </summary>
public sealed class MutationIntakeFilter<T> : IFilter<ConsumeContext<T>>
    where T : class
{
    public Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        if (context.Message is not MutationCompleted)
        {
            throw new RejectedMessageException(typeof(T).Name, [$"{MutationIntake.QueueName} takes {nameof(MutationCompleted)} only"]);
        }

        context.GetOrAddPayload(() => RefuseLedgerConflicts.Instance);
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("mutationIntake");
}
