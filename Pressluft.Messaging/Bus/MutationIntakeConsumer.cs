using MassTransit;
using Microsoft.Extensions.Logging;
using Pressluft.Contracts;
using Pressluft.Messaging.Outbox;
using Pressluft.Sagas.Ledger;
using Pressluft.Sagas.Validation;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// The front door for <see cref="MutationCompleted"/>: the only endpoint bound to <c>pressluft.mutation-completed</c>.
/// It accepts MassTransit envelopes and plain JSON from any publisher. Validation (<see cref="MessageValidationFilter{T}"/>)
/// has already refused what breaks a field rule; here the event is checked against the ledger (an environment of
/// another site, a release of another environment), so everything the gate would refuse later is refused now, into
/// <c>mutation-intake_error</c> with the reason. A good event goes to the saga's queue under the id the saga's inbox
/// de-duplicates by (<see cref="EfOutboxContextFactory.InboxMessageId"/>): sent again after a crash before the
/// acknowledgement, it is consumed once. So exactly the messages accepted here reach the saga, with no commit of this
/// endpoint's own on the way (it writes nothing).
/// </summary>
public sealed class MutationIntakeConsumer(IReleaseLedger ledger, TimeProvider clock, ILogger<MutationIntakeConsumer> logger) : IConsumer<MutationCompleted>
{
    public static readonly Uri SagaQueue = new($"queue:{ReleaseLifecycleSagaDefinition.QueueName}");

    public async Task Consume(ConsumeContext<MutationCompleted> context)
    {
        // A duplicate of a gated mutation goes on: the saga ignores it (it is not refused, as its first delivery was not).
        var check = await ledger.CheckMutationAsync(context.Message, context.CancellationToken);
        if (check.Conflicts.Count > 0)
        {
            throw new RejectedMessageException(nameof(MutationCompleted), check.Conflicts);
        }

        var endpoint = await context.GetSendEndpoint(SagaQueue);
        var messageId = EfOutboxContextFactory.InboxMessageId(context);
        // Not confirmed in time, it is sent again, for as long as it takes (a broker blocking publishers for a while must not
        // turn a good mutation into a fault): each copy goes under the same id, and the saga's inbox consumes it once.
        while (!await BrokerConfirm.WithinWaitAsync(token => endpoint.Send(context.Message, send => send.MessageId = messageId, token), clock, context.CancellationToken))
        {
            logger.LogWarning("The broker did not confirm mutation {MutationJobId} on the saga's queue within {Wait}; sending it again",
                context.Message.MutationJobId, BrokerConfirm.Wait);
        }
    }
}
