using MassTransit;
using MassTransit.Context;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;
using Microsoft.EntityFrameworkCore;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Messaging.Outbox;

/// <summary>
/// The storage side of MassTransit core's inbox/outbox protocol (<see cref="OutboxMessagePipe{TMessage}"/>) on the
/// ledger database. The consumer or saga runs without an open transaction; what it sends is staged as
/// <see cref="OutboxMessage"/> rows. <see cref="SetConsumed"/> then writes the inbox row, the staged rows, the commit
/// participants' statements and every change the saga and ledger staged in one transaction (on PostgreSQL as one batch of
/// fixed statements, <see cref="PostgresCommitBatch"/>; on SQLite all through SaveChanges). After
/// delivery, <see cref="RemoveOutboxMessages"/> deletes the delivered rows and marks the inbox row delivered (the second
/// and last commit, <see cref="DeliveryMarks"/>). Sends with a delay become due-time rows that the relay delivers.
/// </summary>
public sealed class EfOutboxConsumeContext<TMessage> : OutboxConsumeContextProxy<TMessage>, IInboxOutboxTransaction
    where TMessage : class
{
    private readonly PressluftDbContext _db;
    private readonly Lock _addLock = new();
    private readonly List<OutboxMessage> _staged = [];
    private readonly InboxState _inbox;
    private readonly IReadOnlyList<ICommitParticipant> _participants;
    private readonly DueMessageSignal _dueSignal;
    private readonly bool _deliveredBefore;
    private readonly bool _postgres;
    private readonly DeliveryMarks _marks;
    private DateTime? _earliestDue;
    private bool _stagedWereStored;

    public EfOutboxConsumeContext(ConsumeContext<TMessage> context, OutboxConsumeOptions options, IServiceProvider provider, PressluftDbContext db,
        InboxState inbox, IReadOnlyList<ICommitParticipant> participants, DueMessageSignal dueSignal, DeliveryMarks marks)
        : base(context, options, provider)
    {
        _db = db;
        _inbox = inbox;
        _participants = participants;
        _dueSignal = dueSignal;
        _deliveredBefore = inbox.Delivered.HasValue;
        _postgres = db.Dialect.IsPostgres;
        _marks = marks;
    }

    public override bool ContinueProcessing { get; set; } = true;

    public Guid InboxMessageId => _inbox.MessageId;

    public override bool IsMessageConsumed => _inbox.Consumed.HasValue;

    public override bool IsOutboxDelivered => _inbox.Delivered.HasValue;

    public override int ReceiveCount => _inbox.ReceiveCount;

    public override long? LastSequenceNumber => _inbox.LastSequenceNumber;

    /// <summary>Whether delivery got further than the database knows (set when a send fails half way).</summary>
    internal bool DeliveryProgressUnsaved { get; private set; }

    internal InboxState Inbox => _inbox;

    public override async Task SetConsumed()
    {
        var now = DateTime.UtcNow;
        _inbox.Consumed = now;
        _inbox.ReceiveCount = Math.Max(_inbox.ReceiveCount, 1);

        // Nothing to deliver: the message is finished in this one commit.
        if (_staged.Count == 0)
        {
            _inbox.Delivered = now;
        }

        // Saga row, ledger changes, outgoing messages and the inbox row: one transaction. A concurrent duplicate fails here
        // on the inbox's unique key and is retried, and then finds this message consumed.
        if (_postgres)
        {
            await CommitInBatchAsync();
        }
        else
        {
            await CommitThroughChangeTrackerAsync();
        }

        _stagedWereStored = true;
        if (_earliestDue is { } due)
        {
            _dueSignal.Committed(due);
        }
    }

    // PostgreSQL: the staged changes, the inbox row, the outgoing rows and the participants' statements as one batch of
    // fixed statements, which is the whole transaction (PostgresCommitBatch): one round trip.
    private Task CommitInBatchAsync() =>
        PostgresCommitBatch.ExecuteAsync(_db, _inbox, _staged, TakeParticipantStatements(), CancellationToken);

    // SQLite (one writer): every row through SaveChanges; the participants' statements after it, in its transaction.
    // Without EF's savepoint around the SaveChanges (two more statements): a failure anywhere fails the whole transaction,
    // and the message is retried from the start.
    private async Task CommitThroughChangeTrackerAsync()
    {
        _db.InboxStates.Add(_inbox);
        var statements = TakeParticipantStatements();
        if (statements.Count == 0)
        {
            await _db.SaveChangesAsync(CancellationToken);
            return;
        }

        var savepoints = _db.Database.AutoSavepointsEnabled;
        _db.Database.AutoSavepointsEnabled = false;
        try
        {
            await using var transaction = await _db.Database.BeginTransactionAsync(CancellationToken);
            await _db.SaveChangesAsync(CancellationToken);
            foreach (var statement in statements)
            {
                await _db.Database.ExecuteSqlRawAsync(statement.Sql, statement.Values, CancellationToken);
            }

            await transaction.CommitAsync(CancellationToken);
        }
        finally
        {
            _db.Database.AutoSavepointsEnabled = savepoints;
        }
    }

    private List<CommitStatement> TakeParticipantStatements()
    {
        var statements = new List<CommitStatement>();
        foreach (var participant in _participants)
        {
            if (participant.HasWork)
            {
                statements.AddRange(participant.TakeStatements(_db.Dialect));
            }
        }

        return statements;
    }

    public override Task SetDelivered()
    {
        _inbox.Delivered = DateTime.UtcNow;
        return Task.CompletedTask;
    }

    public override async Task<List<OutboxMessageContext>> LoadOutboxMessages()
    {
        var messages = _stagedWereStored
            ? _staged.OrderBy(m => m.SequenceNumber).ToList()
            : await _db.OutboxMessages.AsNoTracking()
                .Where(m => m.InboxMessageId == _inbox.MessageId && m.InboxConsumerId == _inbox.ConsumerId)
                .OrderBy(m => m.SequenceNumber)
                .ToListAsync(CancellationToken);

        foreach (var message in messages)
        {
            message.Deserialize(SerializerContext);
        }

        return messages.Cast<OutboxMessageContext>().ToList();
    }

    public override Task NotifyOutboxMessageDelivered(OutboxMessageContext message)
    {
        _inbox.LastSequenceNumber = message.SequenceNumber;
        DeliveryProgressUnsaved = true;
        return Task.CompletedTask;
    }

    public override async Task RemoveOutboxMessages()
    {
        var now = _inbox.Delivered ?? DateTime.UtcNow;
        if ((_stagedWereStored && _staged.Count == 0) || _deliveredBefore)
        {
            // Consumed and delivered in the first commit, or a duplicate of a finished message: nothing to remove.
            return;
        }

        await _marks.WriteAsync(_db, new DeliveryMark(_inbox.Id, _inbox.MessageId, _inbox.ConsumerId, now, _inbox.LastSequenceNumber), CancellationToken);
        DeliveryProgressUnsaved = false;
    }

    /// <summary>After a failed delivery pass: remember how far it got, so a redelivery does not send those again.</summary>
    internal async Task SaveDeliveryProgressAsync()
    {
        if (!DeliveryProgressUnsaved || _inbox.Id == 0)
        {
            return;
        }

        await _db.InboxStates.Where(i => i.Id == _inbox.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.LastSequenceNumber, _inbox.LastSequenceNumber), CancellationToken.None);
        DeliveryProgressUnsaved = false;
    }

    public override Task AddSend<T>(SendContext<T> context)
    {
        if (context.MessageId is not { } messageId)
        {
            throw new MessageException(typeof(T), "The SendContext MessageId must be present");
        }

        var now = DateTime.UtcNow;
        var delay = context.Delay;

        // The broker here has no delayed-message exchange: a delayed send becomes a due-time row for the relay.
        context.Delay = null;
        var message = new OutboxMessage
        {
            MessageId = messageId,
            ConversationId = context.ConversationId,
            CorrelationId = context.CorrelationId,
            InitiatorId = context.InitiatorId,
            RequestId = context.RequestId,
            SourceAddress = context.SourceAddress,
            DestinationAddress = context.DestinationAddress,
            ResponseAddress = context.ResponseAddress,
            FaultAddress = context.FaultAddress,
            SentTime = context.SentTime ?? now,
            ContentType = context.ContentType?.ToString() ?? context.Serialization.DefaultContentType.ToString(),
            MessageType = string.Join(";", context.SupportedMessageTypes),
            Body = context.Serializer.GetMessageBody(context).GetString(),
            ExpirationTime = context.TimeToLive is { } ttl ? now + ttl : null,
            Headers = SerializerContext.SerializeDictionary(context.Headers.GetAll()),
        };

        if (delay is { } due && due > TimeSpan.Zero)
        {
            message.EnqueueTime = now + due;
        }
        else
        {
            message.InboxMessageId = _inbox.MessageId;
            message.InboxConsumerId = _inbox.ConsumerId;
        }

        if (context is TransportSendContext<T> transportContext)
        {
            var properties = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
            transportContext.WritePropertiesTo(properties);
            message.Properties = SerializerContext.SerializeDictionary(properties);
        }

        // DbContext is not thread-safe, and a consumer may send concurrently. On PostgreSQL the rows delivered inline go to
        // the commit batch as they are, not through the change tracker (their keys come back in order, for the delivery);
        // due-time rows are always tracked (a deadline cancelled in the same unit of work is found there).
        lock (_addLock)
        {
            if (message.InboxMessageId is not null)
            {
                _staged.Add(message);
                if (!_postgres)
                {
                    _db.OutboxMessages.Add(message);
                }
            }
            else
            {
                _db.OutboxMessages.Add(message);
                if (_earliestDue is null || message.EnqueueTime < _earliestDue)
                {
                    _earliestDue = message.EnqueueTime;
                }
            }
        }

        return Task.CompletedTask;
    }
}
