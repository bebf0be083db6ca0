using MassTransit;
using Pressluft.Contracts;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// The front door for <see cref="MutationCompleted"/>: the only endpoint bound to <c>pressluft.mutation-completed</c>.
/// It accepts MassTransit envelopes and plain JSON from any publisher, lets validation reject bad input into
/// <c>mutation-intake_error</c>, and forwards a good event to the saga's queue (through the outbox, so exactly the
/// messages it accepted reach the saga).
/// </summary>
public sealed class MutationIntakeConsumer : IConsumer<MutationCompleted>
{
    public static readonly Uri SagaQueue = new($"queue:{ReleaseLifecycleSagaDefinition.QueueName}");

    public async Task Consume(ConsumeContext<MutationCompleted> context)
    {
        var endpoint = await context.GetSendEndpoint(SagaQueue);
        await endpoint.Send(context.Message, context.CancellationToken);
    }
}
