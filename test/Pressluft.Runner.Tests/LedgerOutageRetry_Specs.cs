using MassTransit;
using Pressluft.Messaging.Persistence;
using Pressluft.Runner.Tests.Support;

namespace Pressluft.Runner.Tests;

/// <summary>
/// A message is held while the ledger is away, for a budget of time from its first failure, not for a number of attempts:
/// an attempt against an unreachable database can itself take its connect or command timeout, and counted attempts of
/// that length would hold a message for far longer than the budget says (and past RabbitMQ's consumer timeout).
/// </summary>
public sealed class When_the_ledger_stays_away
{
    public sealed record Probe(Guid Id);

    [Test]
    public async Task Should_give_the_message_up_once_its_budget_has_passed_since_the_first_failure()
    {
        await using var ledger = new UnreachableLedger();
        var failure = ledger.ReadFailure();
        // Each attempt waits 1.5 s, as one waiting for its connect timeout would, and fails as EF does. Budget 2 s: the
        // first failure starts the clock, the retry after 1 s fails 2.5 s in, past the budget, and is the last.
        var (attempts, faulted) = await RunAsync(TimeSpan.FromSeconds(2), async attempt =>
        {
            await Task.Delay(1500);
            throw failure;
        });

        Assert.Multiple(() =>
        {
            Assert.That(faulted, Is.True, "given up on: a fault is published");
            Assert.That(attempts, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task Should_consume_the_message_when_the_ledger_is_back_within_the_budget()
    {
        await using var ledger = new UnreachableLedger();
        var failure = ledger.ReadFailure();
        var (attempts, faulted) = await RunAsync(TimeSpan.FromSeconds(30), attempt => attempt < 3 ? throw failure : Task.CompletedTask);

        Assert.Multiple(() =>
        {
            Assert.That(faulted, Is.False);
            Assert.That(attempts, Is.EqualTo(3), "tried again after 1 and 2 s, then consumed");
        });
    }

    [Test]
    public async Task Should_not_hold_a_failure_that_is_not_an_outage()
    {
        var (attempts, faulted) = await RunAsync(TimeSpan.FromSeconds(30),
            _ => throw new Npgsql.PostgresException("object in use", "ERROR", "ERROR", "55006"));

        Assert.Multiple(() =>
        {
            Assert.That(faulted, Is.True);
            Assert.That(attempts, Is.EqualTo(1));
        });
    }

    /// <summary>One probe through an endpoint with the outage retry; how often it was tried and whether it faulted.</summary>
    private static async Task<(int Attempts, bool Faulted)> RunAsync(TimeSpan budget, Func<int, Task> attempt)
    {
        var attempts = 0;
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var bus = Bus.Factory.CreateUsingInMemory(cfg =>
        {
            cfg.ReceiveEndpoint("outage-probe", e =>
            {
                e.UseLedgerOutageRetry(budget);
                e.Handler<Probe>(async _ =>
                {
                    await attempt(Interlocked.Increment(ref attempts));
                    done.TrySetResult(false);
                });
            });
            cfg.ReceiveEndpoint("outage-probe-faults", e => e.Handler<Fault<Probe>>(_ =>
            {
                done.TrySetResult(true);
                return Task.CompletedTask;
            }));
        });
        await bus.StartAsync();
        try
        {
            await bus.Publish(new Probe(Guid.NewGuid()));
            var faulted = await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
            return (attempts, faulted);
        }
        finally
        {
            await bus.StopAsync();
        }
    }
}
