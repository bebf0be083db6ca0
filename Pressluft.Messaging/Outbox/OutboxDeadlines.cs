using MassTransit;
using Microsoft.EntityFrameworkCore;
using Pressluft.Messaging.Bus;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Gate;

namespace Pressluft.Messaging.Outbox;

/// <summary>
/// Deadlines as due-time outbox rows: scheduled through the consume context (the EF outbox stores a delayed send as a
/// row with a due time), identified by the message id they are sent with, and cancelled by removing that row in the
/// message's unit of work: one scheduled in the same unit of work is dropped from the change tracker, a stored one is
/// deleted by a statement of the commit (no read first; gone already, the relay delivered it, it deletes nothing).
/// </summary>
public sealed class OutboxDeadlines(PressluftDbContext db) : IDeadlines, ICommitParticipant
{
    private readonly List<Guid> _cancelled = [];

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

    public Task CancelAsync(Guid deadlineId, CancellationToken cancellationToken)
    {
        if (db.OutboxMessages.Local.FirstOrDefault(m => m.MessageId == deadlineId && m.InboxMessageId is null) is { } staged)
        {
            db.OutboxMessages.Remove(staged);
        }
        else
        {
            _cancelled.Add(deadlineId);
        }

        return Task.CompletedTask;
    }

    public bool HasWork => _cancelled.Count > 0;

    public IReadOnlyList<CommitStatement> TakeStatements(LedgerDialect dialect)
    {
        var statements = _cancelled.Select(id => new CommitStatement(DeleteDueRowSql, [id])).ToList();
        _cancelled.Clear();
        return statements;
    }

    private const string DeleteDueRowSql = "DELETE FROM outbox_messages WHERE message_id = {0} AND inbox_message_id IS NULL";
}
