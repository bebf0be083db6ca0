using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
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
        var unreachable = new LedgerOptions
        {
            Provider = LedgerProvider.Postgres,
            ConnectionString = $"Host=127.0.0.1;Port={Ports.Free()};Database=pressluft;Username=pressluft;Password=pressluft;Timeout=2",
        };
        await using var services = new ServiceCollection().AddPressluftLedger(unreachable).BuildServiceProvider();
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();

        var read = Assert.CatchAsync(() => db.InboxStates.AnyAsync());
        db.InboxStates.Add(new InboxState { MessageId = Guid.NewGuid(), ConsumerId = Guid.NewGuid(), Received = DateTime.UtcNow, ReceiveCount = 1 });
        var save = Assert.CatchAsync(() => db.SaveChangesAsync());

        Assert.Multiple(() =>
        {
            Assert.That(read, Is.TypeOf<InvalidOperationException>(), "the provider wraps it: its type alone does not tell");
            Assert.That(StorageFailures.Is(read!), Is.True, "a read");
            Assert.That(StorageFailures.Is(save!), Is.True, "a save");
            Assert.That(StorageFailures.Is(new InvalidOperationException("the playbook's result file is missing")), Is.False, "a failure of the job");
            Assert.That(StorageFailures.Is(new TimeoutException("the node did not answer")), Is.False, "a failure of the job");
        });
    }
}
