using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using MassTransit.RabbitMqTransport;
using Microsoft.EntityFrameworkCore;
using Pressluft.Contracts;
using Pressluft.Runner.Tests.Support;
using Pressluft.Testing;
using RabbitMQ.Client;

namespace Pressluft.Runner.Tests;

/// <summary>
/// A service written in another language, following docs/integrators.md with nothing but a RabbitMQ client and a JSON
/// parser: it declares the documented topology before this service has ever run, publishes a deploy, and reads the
/// gate's outcome from a queue of its own.
/// </summary>
public sealed class When_a_non_dotnet_service_publishes_before_the_gate_ever_ran_and_follows_the_outcome
{
    [Test]
    public async Task Should_lose_nothing_and_read_the_outcome_as_plain_json_matching_the_schema()
    {
        await using var world = await ServiceWorld.CreateAsync();
        var site = world.Ansible.Site;
        var release = site.AddRelease("r1");
        site.MakeCurrent(release);
        var mutationJobId = Guid.NewGuid();

        await PublisherSetUp.DeclareIntakeAsync(world.RabbitUrl);
        var factory = new ConnectionFactory { Uri = world.RabbitUrl };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)))
        {
            // The consumer's set-up: the event's exchange and a queue of its own.
            await channel.ExchangeDeclareAsync("pressluft.gate-completed", ExchangeType.Fanout, durable: true);
            await channel.QueueDeclareAsync("deployer.gate-completed", durable: true, exclusive: false, autoDelete: false);
            await channel.QueueBindAsync("deployer.gate-completed", "pressluft.gate-completed", "");

            var body = ServiceWorld.MutationJson(world.Ansible, mutationJobId, site, release, null);
            await channel.BasicPublishAsync("pressluft.mutation-completed", "", mandatory: true,
                new BasicProperties { ContentType = "application/json", MessageId = Guid.NewGuid().ToString(), DeliveryMode = DeliveryModes.Persistent },
                Encoding.UTF8.GetBytes(body));
        }

        await world.StartInProcessAsync();
        var gate = await world.WaitForGateAsync(mutationJobId, TimeSpan.FromMinutes(2));
        var received = await ReceiveAsync(world, "deployer.gate-completed", TimeSpan.FromMinutes(1));

        var envelope = JsonNode.Parse(received.Body)!;
        var message = envelope["message"]!.AsObject();
        var schema = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Repository.Root, "docs", "contracts", "gate-completed.schema.json")))!;
        var required = schema["required"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        var properties = schema["properties"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.Passed), "the event published before the service ran was gated");
            Assert.That(received.ContentType, Is.EqualTo("application/vnd.masstransit+json"));
            Assert.That(envelope["messageType"]!.AsArray().Select(t => t!.GetValue<string>()), Does.Contain("urn:message:Pressluft.Contracts:GateCompleted"));
            Assert.That(message["mutationJobId"]!.GetValue<string>(), Is.EqualTo(mutationJobId.ToString()));
            Assert.That(message["outcome"]!.GetValue<string>(), Is.EqualTo(GateOutcomes.Passed));
            Assert.That(message["environmentStatus"]!.GetValue<string>(), Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That(message.Select(p => p.Key), Is.SupersetOf(required), "every property the schema requires is there");
            Assert.That(properties, Is.SupersetOf(message.Select(p => p.Key)), "and nothing the schema does not describe");
        });
    }

    private static async Task<(string Body, string? ContentType)> ReceiveAsync(ServiceWorld world, string queue, TimeSpan timeout)
    {
        var factory = new ConnectionFactory { Uri = world.RabbitUrl };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
            {
                return (Encoding.UTF8.GetString(message.Body.Span), message.BasicProperties.ContentType);
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"nothing arrived in {queue} within {timeout}");
    }
}

/// <summary>
/// The same backlog, on a first start where one of the service's own endpoints binds late: health-check declares its
/// queue and bindings seconds after the others (a slow broker, or the order the endpoints happen to start in). The event
/// waiting in the intake must not be gated before then: the health check it requests would go to an exchange no queue is
/// bound to yet, and be lost until its deadline.
/// </summary>
public sealed class When_the_service_first_starts_on_a_backlog_and_one_of_its_endpoints_binds_late
{
    private static readonly TimeSpan Late = TimeSpan.FromSeconds(4);

    [Test]
    public async Task Should_gate_the_waiting_event_once_every_endpoint_is_bound()
    {
        await using var world = await ServiceWorld.CreateAsync();
        var site = world.Ansible.Site;
        var release = site.AddRelease("r1");
        site.MakeCurrent(release);
        var mutationJobId = Guid.NewGuid();

        await PublisherSetUp.DeclareIntakeAsync(world.RabbitUrl);
        await world.PublishPlainJsonAsync("pressluft.mutation-completed", ServiceWorld.MutationJson(world.Ansible, mutationJobId, site, release, null));
        var binding = new BindLate(Late);
        var start = world.StartInProcessAsync(bus: x => x.AddConfigureEndpointsCallback((_, name, endpoint) =>
        {
            if (name == "health-check" && endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
            {
                rabbit.ConfigureChannel(channel => channel.UseFilter(binding));
            }
        }));
        await binding.Waiting.WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(Late / 2);
        Assert.That(await world.TryQueryAsync(db => db.Gates.CountAsync()), Is.EqualTo(0), "nothing is gated while health-check is not bound");

        await start;
        // Well inside the health check's deadline (90 s), which would send a lost request again.
        var gate = await world.WaitForGateAsync(mutationJobId, TimeSpan.FromSeconds(60));
        Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.Passed));
    }

    /// <summary>On an endpoint's channel, before MassTransit declares its topology: waits once.</summary>
    private sealed class BindLate(TimeSpan late) : IFilter<ChannelContext>
    {
        private readonly TaskCompletionSource _waiting = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Waiting => _waiting.Task;

        public async Task Send(ChannelContext context, IPipe<ChannelContext> next)
        {
            if (_waiting.TrySetResult())
            {
                await Task.Delay(late, context.CancellationToken);
            }

            await next.Send(context);
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("bindLate");
    }
}

/// <summary>What a publisher declares before the gate may have run (docs/integrators.md).</summary>
internal static class PublisherSetUp
{
    /// <summary>The intake's exchange chain and durable queue, as the service declares them.</summary>
    public static async Task DeclareIntakeAsync(Uri rabbit)
    {
        var factory = new ConnectionFactory { Uri = rabbit };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync("pressluft.mutation-completed", ExchangeType.Fanout, durable: true);
        await channel.ExchangeDeclareAsync("mutation-intake", ExchangeType.Fanout, durable: true);
        await channel.ExchangeBindAsync("mutation-intake", "pressluft.mutation-completed", "");
        await channel.QueueDeclareAsync("mutation-intake", durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync("mutation-intake", "mutation-intake", "");
    }
}
