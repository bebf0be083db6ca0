using MassTransit;
using Microsoft.EntityFrameworkCore;
using Pressluft.Messaging.Bus;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Gate;

namespace Pressluft.Messaging.Outbox;

/// <summary>
/// Deadlines as due-time outbox rows: scheduled through the consume context (the EF outbox stores a delayed send as a
/// row with a due time), identified by the message id they are sent with, and cancelled by removing that row in the
/// message's unit of work.
/// </summary>
public sealed class OutboxDeadlines(PressluftDbContext db) : IDeadlines
{
    public async Task<Guid> ScheduleAsync<T>(ConsumeContext context, T message, TimeSpan delay)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        var id = NewId.NextGuid();
        // To the saga's own queue, also from mutation-intake, where a gate opens (a sibling of the input address).
        var sagaQueue = new Uri(context.ReceiveContext.InputAddress, ReleaseLifecycleSagaDefinition.QueueName);
        await context.ScheduleSend(sagaQueue, delay, message, Pipe.Execute<SendContext<T>>(send => send.MessageId = id));
        return id;
    }

    public async Task CancelAsync(Guid deadlineId, CancellationToken cancellationToken)
    {
        var row = db.OutboxMessages.Local.FirstOrDefault(m => m.MessageId == deadlineId && m.InboxMessageId is null)
            ?? await db.OutboxMessages.FirstOrDefaultAsync(m => m.MessageId == deadlineId && m.InboxMessageId == null, cancellationToken);
        if (row is not null)
        {
            db.OutboxMessages.Remove(row);
        }
    }
}
