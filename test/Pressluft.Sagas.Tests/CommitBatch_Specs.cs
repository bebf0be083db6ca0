using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Pressluft.Messaging.Outbox;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

/// <summary>
/// On PostgreSQL a consumed message's inbox row, its outbox rows and the commit participants' statements go to the
/// database as one batch of fixed statements. With no other change in the unit of work the batch is the whole
/// transaction: it stores its rows as EF's save would, or, when any statement fails, none of them.
/// </summary>
public sealed class When_the_commit_batch_runs_alone
{
    [Test]
    public async Task Should_store_its_rows_as_a_save_would_and_hand_back_their_keys()
    {
        await using var host = await GateTestHost.StartAsync(LedgerProvider.Postgres);
        var (inbox, outgoing) = Rows();

        await host.QueryAsync(async db =>
        {
            await PostgresCommitBatch.ExecuteAsync(db, inbox, outgoing, [], CancellationToken.None);
            return 0;
        });

        var storedInbox = await host.QueryAsync(db => db.InboxStates.AsNoTracking().SingleAsync());
        var stored = await host.QueryAsync(db => db.OutboxMessages.AsNoTracking().OrderBy(m => m.SequenceNumber).ToListAsync());
        Assert.Multiple(() =>
        {
            Assert.That(inbox.Id, Is.EqualTo(storedInbox.Id).And.Not.Zero, "the inbox row's key");
            Assert.That(outgoing.Select(m => m.SequenceNumber), Is.EqualTo(stored.Select(m => m.SequenceNumber)), "the outbox rows' keys, in order");
            Assert.That(storedInbox, Is.EqualTo(inbox).Using<InboxState>(SameInbox));
            Assert.That(stored, Is.EqualTo(outgoing).Using<OutboxMessage>(SameOutbox));
            Assert.That(stored.Select(m => m.SentTime.Kind), Is.All.EqualTo(DateTimeKind.Utc));
        });
    }

    [Test]
    public async Task Should_store_none_of_its_rows_when_its_last_statement_fails()
    {
        await using var host = await GateTestHost.StartAsync(LedgerProvider.Postgres);
        var (inbox, outgoing) = Rows();

        var failure = await host.QueryAsync(async db =>
        {
            try
            {
                // A participant's statement that fails after every row was written: 22012, division by zero.
                await PostgresCommitBatch.ExecuteAsync(db, inbox, outgoing, [new CommitStatement("SELECT 1 / ({0} - {0})", [1])], CancellationToken.None);
                return null;
            }
            catch (PostgresException exception)
            {
                return exception.SqlState;
            }
        });

        Assert.Multiple(async () =>
        {
            Assert.That(failure, Is.EqualTo(PostgresErrorCodes.DivisionByZero), "the batch did not fail on its last statement");
            Assert.That(await host.QueryAsync(db => db.InboxStates.CountAsync()), Is.Zero, "the inbox row was stored");
            Assert.That(await host.QueryAsync(db => db.OutboxMessages.CountAsync()), Is.Zero, "outbox rows were stored");
            Assert.That(inbox.Id, Is.Zero, "a key was handed back for rows that are not stored");
            Assert.That(outgoing.Select(m => m.SequenceNumber), Is.All.Zero);
        });
    }

    // An inbox row and two outbox rows with every kind of column set, one with its nullable columns null.
    private static (InboxState Inbox, List<OutboxMessage> Outgoing) Rows()
    {
        var inbox = ConsumedMessage.Inbox();
        var now = inbox.Received;
        var full = new OutboxMessage
        {
            MessageId = Guid.NewGuid(),
            InboxMessageId = inbox.MessageId,
            InboxConsumerId = inbox.ConsumerId,
            ConversationId = Guid.NewGuid(),
            CorrelationId = Guid.NewGuid(),
            InitiatorId = Guid.NewGuid(),
            RequestId = Guid.NewGuid(),
            SourceAddress = new Uri("rabbitmq://localhost/pressluft/source"),
            DestinationAddress = new Uri("queue:pressluft.health-check-requested"),
            ResponseAddress = new Uri("rabbitmq://localhost/pressluft/response"),
            FaultAddress = new Uri("rabbitmq://localhost/pressluft/fault"),
            SentTime = now,
            ExpirationTime = now.AddMinutes(5),
            ContentType = "application/vnd.masstransit+json",
            MessageType = "urn:message:Pressluft.Contracts:HealthCheckRequested",
            Body = "{\"quote\":\"it's; DROP TABLE sites; --\",\"text\":\"" + new string('x', 5000) + "\"}",
            Headers = "{\"h\":\"v\"}",
            Properties = "{\"p\":1}",
        };
        return (inbox, [full, ConsumedMessage.Outgoing(inbox)]);
    }

    // Timestamps as PostgreSQL keeps them (microseconds).
    private static bool Same(DateTime? a, DateTime? b) => a?.Ticks / 10 == b?.Ticks / 10;

    private static bool SameInbox(InboxState a, InboxState b) =>
        a.Id == b.Id && a.MessageId == b.MessageId && a.ConsumerId == b.ConsumerId && Same(a.Received, b.Received) && a.ReceiveCount == b.ReceiveCount
        && Same(a.Consumed, b.Consumed) && Same(a.Delivered, b.Delivered) && a.LastSequenceNumber == b.LastSequenceNumber;

    private static bool SameOutbox(OutboxMessage a, OutboxMessage b) =>
        a.SequenceNumber == b.SequenceNumber && a.MessageId == b.MessageId && a.InboxMessageId == b.InboxMessageId && a.InboxConsumerId == b.InboxConsumerId
        && a.ConversationId == b.ConversationId && a.CorrelationId == b.CorrelationId && a.InitiatorId == b.InitiatorId && a.RequestId == b.RequestId
        && a.SourceAddress == b.SourceAddress && a.DestinationAddress == b.DestinationAddress && a.ResponseAddress == b.ResponseAddress
        && a.FaultAddress == b.FaultAddress && Same(a.SentTime, b.SentTime) && Same(a.ExpirationTime, b.ExpirationTime) && Same(a.EnqueueTime, b.EnqueueTime)
        && a.ContentType == b.ContentType && a.MessageType == b.MessageType && a.Body == b.Body && a.Headers == b.Headers && a.Properties == b.Properties
        && a.DeliveryAttempts == b.DeliveryAttempts && a.LastError == b.LastError && Same(a.GaveUpAt, b.GaveUpAt);
}

/// <summary>
/// On PostgreSQL the rows the saga and the ledger staged in the change tracker go in the same batch as the inbox and
/// outbox rows: inserted, updated (only the changed columns) and deleted as a save would, with the generated keys handed
/// back and the changes accepted; an update or delete that finds its row changed since it was read stores nothing of the
/// whole unit of work.
/// </summary>
public sealed class When_the_commit_batch_writes_tracked_changes
{
    [Test]
    public async Task Should_insert_update_and_delete_them_as_a_save_would()
    {
        await using var host = await GateTestHost.StartAsync(LedgerProvider.Postgres);
        var (site, job, doomed) = (NewSite(), NewJob(), NewJob());
        await host.QueryAsync(async db =>
        {
            db.AddRange(site, job, doomed);
            return await db.SaveChangesAsync();
        });
        var (inbox, outgoing) = Rows();
        var now = DateTime.UtcNow;
        var transition = new ReleaseHealthTransitionRecord { ReleaseId = Guid.NewGuid(), FromStatus = "unknown", ToStatus = "healthy", Reason = "it's; --", At = now };
        var newJob = NewJob();
        var states = await host.QueryAsync(async db =>
        {
            var trackedSite = await db.Sites.SingleAsync(s => s.Id == site.Id);
            trackedSite.Status = "failed";
            trackedSite.StateVersion++;
            var trackedJob = await db.Jobs.SingleAsync(j => j.Id == job.Id);
            trackedJob.ErrorJson = null;
            trackedJob.FinishedAt = now;
            db.Jobs.Remove(await db.Jobs.SingleAsync(j => j.Id == doomed.Id));
            db.AddRange(transition, newJob);

            await PostgresCommitBatch.ExecuteAsync(db, inbox, outgoing, [], CancellationToken.None);
            return db.ChangeTracker.Entries().Select(e => e.State).Distinct().ToList();
        });

        var storedSite = await host.QueryAsync(db => db.Sites.AsNoTracking().SingleAsync());
        var storedJobs = await host.QueryAsync(db => db.Jobs.AsNoTracking().ToDictionaryAsync(j => j.Id));
        var storedTransition = await host.QueryAsync(db => db.ReleaseHealthTransitions.AsNoTracking().SingleAsync());
        Assert.Multiple(async () =>
        {
            Assert.That(states, Is.EqualTo(new[] { EntityState.Unchanged }), "changes left unaccepted");
            Assert.That((storedSite.Status, storedSite.StateVersion, storedSite.Name), Is.EqualTo(("failed", site.StateVersion + 1, site.Name)));
            Assert.That(storedJobs.Keys, Is.EquivalentTo(new[] { job.Id, newJob.Id }), "the deleted job is gone, the added one stored");
            Assert.That(storedJobs[job.Id].ErrorJson, Is.Null, "a column set to null");
            Assert.That(storedJobs[job.Id].FinishedAt?.Ticks / 10, Is.EqualTo(now.Ticks / 10));
            Assert.That(storedJobs[job.Id].PayloadJson, Is.EqualTo(job.PayloadJson), "a column not changed");
            Assert.That(storedJobs[newJob.Id].ErrorJson, Is.EqualTo(newJob.ErrorJson));
            Assert.That(transition.Id, Is.EqualTo(storedTransition.Id).And.Positive, "the generated key handed back");
            Assert.That(storedTransition.Reason, Is.EqualTo("it's; --"));
            Assert.That(await host.QueryAsync(db => db.InboxStates.CountAsync()), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Should_store_nothing_of_the_unit_of_work_when_a_row_changed_since_it_was_read()
    {
        await using var host = await GateTestHost.StartAsync(LedgerProvider.Postgres);
        var site = NewSite();
        await host.QueryAsync(async db =>
        {
            db.Add(site);
            return await db.SaveChangesAsync();
        });
        var (inbox, outgoing) = Rows();
        var transition = new ReleaseHealthTransitionRecord { ReleaseId = Guid.NewGuid(), FromStatus = "unknown", ToStatus = "healthy", Reason = "r", At = DateTime.UtcNow };

        var failure = await host.QueryAsync(async db =>
        {
            var stale = await db.Sites.SingleAsync();
            // Another unit of work moves the row on after this one read it.
            await host.QueryAsync(other => other.Sites.ExecuteUpdateAsync(s => s.SetProperty(x => x.StateVersion, x => x.StateVersion + 1)));
            stale.Status = "failed";
            stale.StateVersion++;
            db.Add(transition);
            try
            {
                await PostgresCommitBatch.ExecuteAsync(db, inbox, outgoing, [], CancellationToken.None);
                return null;
            }
            catch (PostgresException exception)
            {
                return exception;
            }
        });

        Assert.Multiple(async () =>
        {
            Assert.That(failure?.SqlState, Is.EqualTo(PostgresErrorCodes.SerializationFailure), "the batch did not fail on the changed row");
            Assert.That(failure?.MessageText, Does.Contain("sites").And.Contain(site.Id.ToString()), "the conflict does not say which row");
            Assert.That(await host.QueryAsync(db => db.Sites.Select(s => s.Status).SingleAsync()), Is.EqualTo(site.Status), "the stale update was stored");
            Assert.That(await host.QueryAsync(db => db.ReleaseHealthTransitions.CountAsync()), Is.Zero, "a row of the failed unit of work was stored");
            Assert.That(await host.QueryAsync(db => db.InboxStates.CountAsync()), Is.Zero, "the inbox row was stored");
            Assert.That(await host.QueryAsync(db => db.OutboxMessages.CountAsync()), Is.Zero, "outbox rows were stored");
        });
    }

    private static SiteRecord NewSite() =>
        new() { Id = Guid.NewGuid(), Name = "Shop", Slug = "shop", Status = "active", StateVersion = 3, UpdatedAt = DateTime.UtcNow };

    private static JobRecord NewJob() => new()
    {
        Id = Guid.NewGuid(), JobType = "health_check", Status = "running", SiteId = Guid.NewGuid(), EnvironmentId = Guid.NewGuid(), NodeId = Guid.NewGuid(),
        PayloadJson = "{\"a\":1}", MaxAttempts = 1, RunAfter = DateTime.UtcNow, ErrorJson = "{\"code\":\"x\"}", CreatedAt = DateTime.UtcNow,
    };

    private static (InboxState Inbox, List<OutboxMessage> Outgoing) Rows()
    {
        var inbox = ConsumedMessage.Inbox();
        return (inbox, [ConsumedMessage.Outgoing(inbox)]);
    }
}

/// <summary>
/// On PostgreSQL the delivery marks of messages that finish delivering at the same time are written together (a group
/// commit): each message still waits for its own mark, and each mark lands as it would alone.
/// </summary>
public sealed class When_messages_finish_delivering_together
{
    [Test]
    public async Task Should_write_marks_one_at_a_time_without_throwing_inside_the_writer()
    {
        await using var host = await GateTestHost.StartAsync(LedgerProvider.Postgres);
        var marks = host.Provider.GetRequiredService<DeliveryMarks>();
        var rows = new List<InboxState>();
        for (var i = 0; i < 20; i++)
        {
            rows.Add(await ConsumedMessage.StoreAsync(host, ConsumedMessage.Inbox()));
        }

        // Each mark awaited before the next: the writer starts and stops for every one. An exception thrown on the way (the
        // writer's own stop check once threw and left its task faulted) is caught here, on the thread that throws it.
        var thrown = new System.Collections.Concurrent.ConcurrentBag<string>();
        void Watch(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (Environment.StackTrace.Contains(nameof(DeliveryMarks), StringComparison.Ordinal))
            {
                thrown.Add(e.Exception.GetType().Name + ": " + e.Exception.Message);
            }
        }

        AppDomain.CurrentDomain.FirstChanceException += Watch;
        try
        {
            await host.QueryAsync(async db =>
            {
                foreach (var inbox in rows)
                {
                    await marks.WriteAsync(db, new DeliveryMark(inbox.Id, inbox.MessageId, inbox.ConsumerId, DateTime.UtcNow, null), CancellationToken.None);
                }

                return 0;
            });
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Watch;
        }

        Assert.Multiple(async () =>
        {
            Assert.That(thrown, Is.Empty, "exceptions thrown inside the mark writer");
            Assert.That(await host.QueryAsync(db => db.InboxStates.CountAsync(i => i.Delivered != null)), Is.EqualTo(rows.Count));
        });
    }

    [Test]
    public async Task Should_write_their_marks_together_each_as_it_would_alone()
    {
        await using var host = await GateTestHost.StartAsync(LedgerProvider.Postgres);
        var messages = new List<(InboxState Inbox, OutboxMessage Row)>();
        for (var i = 0; i < 40; i++)
        {
            var inbox = ConsumedMessage.Inbox();
            var row = ConsumedMessage.Outgoing(inbox);
            messages.Add((await ConsumedMessage.StoreAsync(host, inbox, row), row));
        }

        var marks = host.Provider.GetRequiredService<DeliveryMarks>();
        var writesBefore = marks.Writes;
        var delivered = DateTime.UtcNow;
        // The last message delivered nothing it records a sequence number for (null stays null).
        await host.QueryAsync(async db =>
        {
            await Task.WhenAll(messages.Select((m, i) => marks.WriteAsync(db,
                new DeliveryMark(m.Inbox.Id, m.Inbox.MessageId, m.Inbox.ConsumerId, delivered, i == messages.Count - 1 ? null : m.Row.SequenceNumber),
                CancellationToken.None)));
            return 0;
        });
        var writes = marks.Writes - writesBefore;

        var stored = await host.QueryAsync(db => db.InboxStates.AsNoTracking().ToDictionaryAsync(i => i.Id));
        var rowsLeft = await host.QueryAsync(db => db.OutboxMessages.CountAsync());
        Assert.Multiple(() =>
        {
            Assert.That(writes, Is.LessThan(messages.Count), "every mark was written on its own");
            Assert.That(rowsLeft, Is.Zero, "delivered rows were left behind");
            Assert.That(messages.Select(m => stored[m.Inbox.Id].Delivered?.Ticks / 10), Is.All.EqualTo(delivered.Ticks / 10), "an inbox row not marked delivered");
            Assert.That(messages.Select(m => stored[m.Inbox.Id].LastSequenceNumber),
                Is.EqualTo(messages.Select((m, i) => i == messages.Count - 1 ? (long?)null : m.Row.SequenceNumber)), "the last sequence numbers");
        });
    }
}

/// <summary>A consumed message's rows for the specs above: its inbox row, and outgoing rows with the required columns only.</summary>
internal static class ConsumedMessage
{
    public static InboxState Inbox()
    {
        var now = DateTime.UtcNow;
        return new InboxState { MessageId = Guid.NewGuid(), ConsumerId = Guid.NewGuid(), Received = now, ReceiveCount = 1, Consumed = now };
    }

    public static OutboxMessage Outgoing(InboxState inbox) => new()
    {
        MessageId = Guid.NewGuid(), InboxMessageId = inbox.MessageId, InboxConsumerId = inbox.ConsumerId, SentTime = inbox.Received,
        ContentType = "application/json", MessageType = "urn:message:Pressluft.Contracts:EnvironmentStatusChanged", Body = "{}",
    };

    /// <summary>Stores the message as its commit batch would, alone; its rows get their keys.</summary>
    public static async Task<InboxState> StoreAsync(GateTestHost host, InboxState inbox, params OutboxMessage[] outgoing)
    {
        await host.QueryAsync(async db =>
        {
            await PostgresCommitBatch.ExecuteAsync(db, inbox, outgoing, [], CancellationToken.None);
            return 0;
        });
        return inbox;
    }
}
