using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Contracts;
using Pressluft.Messaging.Outbox;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_due_messages_cannot_be_delivered(LedgerProvider ledger)
{
    private static readonly Dictionary<string, string?> RelayByHand = new()
    {
        ["Pressluft:HealthGate:HealthCheckDeadline"] = "00:00:00.500",
        ["Pressluft:HealthGate:InconclusiveRetries"] = "0",
        ["Pressluft:Outbox:RunBackgroundServices"] = "false",
        ["Pressluft:Outbox:MaxDeliveryAttempts"] = "2",
    };

    // Rows that can never go out used to be claimed first on every pass, forever: a hundred of them held back every
    // deadline of every environment. Now each failure pushes its row back, and the relay gives up after a bound.
    [Test]
    public async Task Should_deliver_the_deadlines_behind_them_and_give_up_on_them_in_the_end()
    {
        await using var host = await GateTestHost.StartAsync(ledger, RelayByHand);
        var relay = host.Provider.GetRequiredService<DueMessageRelay>();
        await host.QueryAsync(db =>
        {
            db.OutboxMessages.AddRange(Enumerable.Range(0, 150).Select(_ => Poison()));
            return db.SaveChangesAsync();
        });
        var site = new SiteFixture();
        var (_, mutation) = await host.DeployFirstAsync(site, CheckAnswer.Silent);
        await host.Eventually(async db => await db.OutboxMessages.CountAsync(m => m.InboxMessageId == null) == 151, what: "the gate's deadline to be stored");
        await Task.Delay(TimeSpan.FromMilliseconds(600));

        for (var pass = 0; pass < 3; pass++)
        {
            await relay.RelayDueAsync(CancellationToken.None);
        }

        var gate = await host.WaitForGateAsync(mutation.MutationJobId);
        var poison = await host.QueryAsync(db => db.OutboxMessages.AsNoTracking().Where(m => m.Body == "poison").ToListAsync());
        Assert.Multiple(() =>
        {
            Assert.That(gate.ErrorCode, Is.EqualTo(ErrorCodes.HealthCheckTimeout), "the deadline behind the poison rows was not delivered");
            Assert.That(poison, Has.Count.EqualTo(150));
            Assert.That(poison.Select(p => p.DeliveryAttempts), Has.All.EqualTo(1), "a poison row was tried again before its back-off");
            Assert.That(poison.Select(p => p.EnqueueTime), Has.All.GreaterThan(DateTime.UtcNow), "a failed row kept its place at the front");
        });

        // Past the back-off, the second failure is the last: the relay gives up and stops claiming them.
        await host.QueryAsync(db => db.OutboxMessages.Where(m => m.Body == "poison").ExecuteUpdateAsync(s => s.SetProperty(m => m.EnqueueTime, DateTime.UtcNow.AddMinutes(-1))));
        await relay.RelayDueAsync(CancellationToken.None);
        await relay.RelayDueAsync(CancellationToken.None);
        var given = await host.QueryAsync(db => db.OutboxMessages.AsNoTracking().Where(m => m.Body == "poison").ToListAsync());
        Assert.Multiple(() =>
        {
            Assert.That(given.Select(p => p.GaveUpAt), Has.All.Not.Null);
            Assert.That(given.Select(p => p.DeliveryAttempts), Has.All.EqualTo(2), "a row the relay gave up on was tried again");
            Assert.That(given.Select(p => p.LastError), Has.All.Not.Empty);
        });
    }

    // A deadline stored while the service ran on another broker (or on the embedded default's loopback) still reaches
    // the saga's queue on the bus running now.
    [Test]
    public async Task Should_deliver_a_deadline_stored_under_another_broker_address()
    {
        await using var host = await GateTestHost.StartAsync(ledger, RelayByHand);
        var site = new SiteFixture();
        var (_, mutation) = await host.DeployFirstAsync(site, CheckAnswer.Silent);
        await host.Eventually(async db => await db.OutboxMessages.AnyAsync(m => m.InboxMessageId == null), what: "the gate's deadline to be stored");
        await host.QueryAsync(db => db.OutboxMessages.Where(m => m.InboxMessageId == null)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.DestinationAddress, new Uri("rabbitmq://gone-broker:5672/pressluft/release-lifecycle"))));
        await Task.Delay(TimeSpan.FromMilliseconds(600));

        var delivered = await host.Provider.GetRequiredService<DueMessageRelay>().RelayDueAsync(CancellationToken.None);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        Assert.Multiple(() =>
        {
            Assert.That(delivered, Is.EqualTo(1));
            Assert.That(gate.ErrorCode, Is.EqualTo(ErrorCodes.HealthCheckTimeout));
        });
    }

    private static OutboxMessage Poison() => new()
    {
        MessageId = NewId.NextGuid(),
        EnqueueTime = DateTime.UtcNow.AddMinutes(-10),
        SentTime = DateTime.UtcNow.AddMinutes(-10),
        DestinationAddress = new Uri("loopback://localhost/release-lifecycle"),
        ContentType = "application/vnd.masstransit+json",
        MessageType = "urn:message:Nowhere:Nothing",
        Headers = "{ this is not json",
        Body = "poison",
    };
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_process_dies_between_its_commit_and_the_delivery(LedgerProvider ledger)
{
    // On the embedded default nothing redelivers a message whose transition committed: its outgoing messages must still go
    // out. Here the delivery of the rollback request stalls after the commit, as if the process had died there.
    [Test]
    public async Task Should_deliver_the_committed_messages_later()
    {
        var delivery = new StallingDelivery("pressluft.rollback-requested");
        await using var host = await GateTestHost.StartAsync(ledger, new Dictionary<string, string?>
        {
            ["Pressluft:Outbox:RunBackgroundServices"] = "false",
            ["Pressluft:Outbox:AbandonedDeliveryAfter"] = "00:00:01",
            // The stalled message holds its environment's partition; the answers that follow must not wait behind it.
            ["Pressluft:Messaging:SagaPartitions"] = "0",
        }, bus: cfg => cfg.ConfigureSend(s => s.UseFilter(delivery)));
        try
        {
            var site = new SiteFixture();
            var deployment = await host.DeployAsync(site, [CheckAnswer.Fail]);
            await delivery.Stalled.WaitAsync(TimeSpan.FromSeconds(30));
            var undelivered = await host.QueryAsync(db => db.InboxStates.AsNoTracking().CountAsync(i => i.Consumed != null && i.Delivered == null));

            await Task.Delay(TimeSpan.FromMilliseconds(1100));
            var finished = await host.Provider.GetRequiredService<DueMessageRelay>().DeliverAbandonedAsync(CancellationToken.None);
            var gate = await host.WaitForGateAsync(deployment.Mutation.MutationJobId);

            Assert.Multiple(async () =>
            {
                Assert.That(undelivered, Is.EqualTo(1), "the transition was not committed with its messages undelivered");
                Assert.That(finished, Is.EqualTo(1));
                Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.RolledBack));
                Assert.That(host.Runner.RollbackRequests, Has.Count.EqualTo(1));
                Assert.That(await host.QueryAsync(db => db.InboxStates.CountAsync(i => i.Consumed != null && i.Delivered == null)), Is.Zero);
            });
        }
        finally
        {
            delivery.Release();
        }
    }
}

/// <summary>
/// The relay and the clean-up while the ledger is away: every pass fails, several times a second. An operator reads
/// that it started failing, and that it works again, not one line per pass.
/// </summary>
public sealed class When_a_background_pass_fails_again_and_again
{
    [Test]
    public async Task Should_log_the_start_and_the_end_of_the_run_of_failures_only()
    {
        var logs = new CapturedLogs();
        var options = new OptionsMonitorStub(new OutboxOptions());
        var service = new FailingThenWorking(40, options, logs.CreateLogger(typeof(FailingThenWorking).FullName!));
        await service.StartAsync(CancellationToken.None);
        await service.Worked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await service.StopAsync(CancellationToken.None);

        var warnings = logs.At(Microsoft.Extensions.Logging.LogLevel.Warning).ToList();
        var information = logs.At(Microsoft.Extensions.Logging.LogLevel.Information).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(service.Passes, Is.GreaterThan(40), "the passes went on");
            Assert.That(warnings, Has.Count.EqualTo(1), string.Join("\n", warnings));
            Assert.That(warnings.Single(), Does.StartWith("FailingThenWorking pass failed; retrying"));
            Assert.That(information, Has.Count.EqualTo(1).And.All.Match(@"^FailingThenWorking passes work again, after 40 failed passes in \d+ s$"));
        });
    }

    private sealed class FailingThenWorking(int failures, OptionsMonitorStub options, Microsoft.Extensions.Logging.ILogger logger)
        : OutboxBackgroundService(options, TimeProvider.System, logger)
    {
        public int Passes { get; private set; }

        public TaskCompletionSource Worked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override TimeSpan Interval => TimeSpan.FromMilliseconds(1);

        protected override Task<bool> RunPassAsync(CancellationToken cancellationToken)
        {
            if (++Passes <= failures)
            {
                throw new InvalidOperationException("the ledger is away");
            }

            Worked.TrySetResult();
            return Task.FromResult(false);
        }
    }

    private sealed class OptionsMonitorStub(OutboxOptions value) : Microsoft.Extensions.Options.IOptionsMonitor<OutboxOptions>
    {
        public OutboxOptions CurrentValue => value;

        public OutboxOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<OutboxOptions, string?> listener) => null;
    }
}
