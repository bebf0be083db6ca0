using MassTransit;
using Pressluft.Contracts;
using Pressluft.Messaging.Ledger;
using Pressluft.Sagas.Validation;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// The intake's ledger rule on <c>mutation-intake</c>, inside the message's unit of work, after the door
/// (<see cref="MutationIntakeDoor"/>): a <see cref="MutationCompleted"/> that contradicts the ledger (an environment of
/// another site, a release of another environment, a release that moved) is refused into <c>mutation-intake_error</c>
/// with the reason, before the saga sees it. Any other message type is refused here too (the door refuses them first).
/// </summary>
public sealed class MutationIntakeFilter<T>(EfReleaseLedger ledger) : IFilter<ConsumeContext<T>>
    where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        if (context.Message is not MutationCompleted mutation)
        {
            throw new RejectedMessageException(typeof(T).Name, [$"{MutationIntake.QueueName} takes {nameof(MutationCompleted)} only"]);
        }

        // A duplicate of a gated mutation goes on: the saga ignores it (it is not refused, as its first delivery was not).
        var check = await ledger.CheckMutationAsync(mutation, context.CancellationToken);
        if (check.Conflicts.Count > 0)
        {
            throw new RejectedMessageException(nameof(MutationCompleted), check.Conflicts);
        }

        // This check comes before the saga's row is loaded. Another runner may record this environment in between; the
        // saga's own check must then see that, read after its row, so it reads the ledger again (one query).
        ledger.ForgetReads();
        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("mutationIntake");
}
