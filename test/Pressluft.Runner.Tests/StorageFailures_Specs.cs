using Microsoft.EntityFrameworkCore;
using Pressluft.Messaging.Outbox;
using Pressluft.Messaging.Persistence;
using Pressluft.Runner.Tests.Support;

namespace Pressluft.Runner.Tests;

/// <summary>
/// A PostgreSQL that cannot be reached for a while (restarting) while a runner reads or commits a playbook job: what EF
/// Core throws then must be told apart from a failure of the job, so the playbook endpoints wait it out (their retry)
/// instead of sending the request to its error queue. EF Core's PostgreSQL provider wraps such an error in an
/// InvalidOperationException, which the endpoints did not recognise: a check request landed in health-check_error in the
/// fault suite's PostgreSQL restarts, and its gate waited for the deadline.
/// </summary>
public sealed class When_the_ledger_cannot_be_reached_during_a_job
{
    [Test]
    public async Task Should_tell_what_ef_core_throws_from_a_failure_of_the_job()
    {
        await using var ledger = new UnreachableLedger();
        var read = ledger.ReadFailure();
        ledger.Db.InboxStates.Add(new InboxState { MessageId = Guid.NewGuid(), ConsumerId = Guid.NewGuid(), Received = DateTime.UtcNow, ReceiveCount = 1 });
        var save = Assert.CatchAsync(() => ledger.Db.SaveChangesAsync());

        Assert.Multiple(() =>
        {
            Assert.That(read, Is.TypeOf<InvalidOperationException>(), "the provider wraps it: its type alone does not tell");
            Assert.That(StorageFailures.Is(read), Is.True, "a read");
            Assert.That(StorageFailures.Is(save!), Is.True, "a save");
            Assert.That(StorageFailures.IsOutage(read), Is.True, "a read, while the ledger is away");
            Assert.That(StorageFailures.IsOutage(save!), Is.True, "a save, while the ledger is away");
            Assert.That(StorageFailures.IsOutage(new DbUpdateConcurrencyException("the saga row changed")), Is.False, "a conflict, retried at once");
            Assert.That(StorageFailures.IsOutage(new Npgsql.PostgresException("deadlock detected", "ERROR", "ERROR", "40P01")), Is.False, "a deadlock, retried at once");
            Assert.That(StorageFailures.IsOutage(new Npgsql.PostgresException("the database system is starting up", "FATAL", "FATAL", "57P03")), Is.True, "PostgreSQL starting up");
            Assert.That(StorageFailures.IsOutage(new Npgsql.PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01")), Is.True, "PostgreSQL shutting down");
            Assert.That(StorageFailures.IsOutage(new Npgsql.PostgresException("sorry, too many clients already", "FATAL", "FATAL", "53300")), Is.True, "out of connections");
            Assert.That(StorageFailures.IsOutage(new Npgsql.PostgresException("object in use", "ERROR", "ERROR", "55006")), Is.False, "the statement's own problem, transient or not");
            Assert.That(StorageFailures.IsOutage(new Npgsql.PostgresException("object not in prerequisite state", "ERROR", "ERROR", "55000")), Is.False, "the statement's own problem, transient or not");
            Assert.That(StorageFailures.IsOutage(new Npgsql.PostgresException("duplicate key value violates unique constraint", "ERROR", "ERROR", "23505")), Is.False, "a constraint, not an outage");
            Assert.That(StorageFailures.Is(new InvalidOperationException("the playbook's result file is missing")), Is.False, "a failure of the job");
            Assert.That(StorageFailures.Is(new TimeoutException("the node did not answer")), Is.False, "a failure of the job");
        });
    }
}
