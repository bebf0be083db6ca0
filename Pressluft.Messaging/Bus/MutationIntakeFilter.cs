using MassTransit;
using Pressluft.Contracts;
using Pressluft.Sagas.Ledger;
using Pressluft.Sagas.Validation;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// The intake's own rule on <c>mutation-intake</c>, after validation and inside the message's unit of work: a
/// <see cref="MutationCompleted"/> that contradicts the ledger (an environment of another site, a release of another
/// environment, a release that moved) is refused into <c>mutation-intake_error</c> with the reason, before the saga sees
/// it; any other message type is refused there too, because the endpoint is the public front door for this one event.
/// The ledger's answer stays in the unit of work, so the saga's own check of the same mutation reads nothing again.
/// </summary>
public sealed class MutationIntakeFilter<T>(IReleaseLedger ledger) : IFilter<ConsumeContext<T>>
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

        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("mutationIntake");
}
