using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Contracts;
using Pressluft.Messaging.Bus;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

// The intake hands a mutation to the saga's queue straight through the broker. A confirm that never comes (a client that
// lost it) must not hold the mutation for ever: after BrokerConfirm.Wait the intake gives up and sends it again.
[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_the_broker_never_confirms_the_intakes_send(LedgerProvider ledger)
{
    [Test]
    public async Task Should_send_it_again_and_gate_it_once()
    {
        var lost = new LostConfirm();
        await using var host = await GateTestHost.StartAsync(ledger,
            services: s => s.AddSingleton<TimeProvider>(new HurriedConfirmClock()),
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
            Assert.That(lost.Held, Is.EqualTo(1), "no send was held");
            Assert.That(lost.GaveUp, Is.True, "the held send was never given up");
            Assert.That(gate.MutationJobId, Is.EqualTo(mutation.MutationJobId));
            Assert.That(await host.Harness.Consumed.Any<Fault<MutationCompleted>>(), Is.False);
            Assert.That(host.Runner.CheckRequests, Has.Count.EqualTo(1), "the mutation was gated twice");
        });
    }

    // The first send of a mutation to the saga's queue never completes until its sender gives up (its token is
    // cancelled): a confirm that never comes. (Here the held copy never arrives; one that did would be consumed once by
    // the saga's inbox, as the copies in Persistence_Specs are.)
    private sealed class LostConfirm : IFilter<SendContext>
    {
        private int _held;

        public int Held => _held;

        public bool GaveUp { get; private set; }

        public async Task Send(SendContext context, IPipe<SendContext> next)
        {
            if (context is SendContext<MutationCompleted>
                && context.DestinationAddress?.AbsolutePath.EndsWith("/" + ReleaseLifecycleSagaDefinition.QueueName, StringComparison.Ordinal) == true
                && Interlocked.Exchange(ref _held, 1) == 0)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, context.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    GaveUp = true;
                    throw;
                }
            }

            await next.Send(context);
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("lostConfirm");
    }
}
