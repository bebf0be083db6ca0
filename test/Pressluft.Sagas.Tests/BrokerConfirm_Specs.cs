using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pressluft.Contracts;
using Pressluft.Messaging.Bus;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

// The intake hands a mutation to the saga's queue straight through the broker. A confirm that never comes (a client that
// lost it) must not hold the mutation for ever: after BrokerConfirm.Wait the intake sends it again (and again, while the
// broker does not confirm: a broker blocking publishers for a while must not turn a good mutation into a fault).
[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_the_broker_never_confirms_the_intakes_send(LedgerProvider ledger)
{
    [Test]
    public async Task Should_send_it_again_and_gate_it_once()
    {
        // More sends than the intake's retry policy has attempts (seven): waiting it out must not depend on that policy.
        var lost = new LostConfirm(holds: 8);
        var logs = new CapturedLogs();
        await using var host = await GateTestHost.StartAsync(ledger,
            services: s => s.AddSingleton<TimeProvider>(new HurriedConfirmClock()).AddLogging(b => b.AddProvider(logs)),
            bus: cfg => cfg.ConfigureSend(s => s.UseFilter(lost)));
        var site = new SiteFixture();
        var mutation = site.Mutation(site.NewRelease("r1"));

        var messageId = NewId.NextGuid();
        await host.Harness.Bus.Publish(mutation, c => c.MessageId = messageId);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);
        await host.SingleCheckRequestAsync();
        await host.ReceivedAsync(messageId, 1);

        Assert.Multiple(async () =>
        {
            Assert.That(lost.Held, Is.EqualTo(8), "not every held send was given up and sent again");
            Assert.That(gate.MutationJobId, Is.EqualTo(mutation.MutationJobId));
            Assert.That(await host.Harness.Consumed.Any<Fault<MutationCompleted>>(), Is.False);
            Assert.That(host.Runner.CheckRequests, Has.Count.EqualTo(1), "the mutation was gated twice");
            Assert.That(logs.At(LogLevel.Warning).Count(m => m.Contains($"The broker did not confirm mutation {mutation.MutationJobId} on the saga's queue", StringComparison.Ordinal)),
                Is.EqualTo(8));
        });
    }

    // The first sends of a mutation to the saga's queue never complete until their sender gives up (the token is
    // cancelled): confirms that never come. (Here a held copy never arrives; one that did would be consumed once by the
    // saga's inbox, as the copies in Persistence_Specs are.)
    private sealed class LostConfirm(int holds) : IFilter<SendContext>
    {
        private int _sends;
        private int _held;

        public int Held => _held;

        public async Task Send(SendContext context, IPipe<SendContext> next)
        {
            if (context is SendContext<MutationCompleted>
                && context.DestinationAddress?.AbsolutePath.EndsWith("/" + ReleaseLifecycleSagaDefinition.QueueName, StringComparison.Ordinal) == true
                && Interlocked.Increment(ref _sends) <= holds)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, context.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref _held);
                    throw;
                }
            }

            await next.Send(context);
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("lostConfirm");
    }
}
