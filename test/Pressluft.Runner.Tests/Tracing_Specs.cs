using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
using Pressluft.Runner.Hosting;
using Pressluft.Runner.Tests.Support;

namespace Pressluft.Runner.Tests;

/// <summary>One gate's trace, captured with OpenTelemetry's in-memory exporter on the embedded default.</summary>
public sealed class When_a_gate_is_traced
{
    private static readonly ActivitySource Publisher = new("Pressluft.Tests.Publisher");

    [Test]
    public async Task Should_put_the_playbook_run_and_the_verdict_under_the_trace_of_the_event()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        var spans = new List<Activity>();
        var state = Directory.CreateTempSubdirectory("pressluft-trace-").FullName;
        var builder = RunnerHost.CreateBuilder(new Dictionary<string, string?>(Microsoft.Extensions.Configuration.ConfigurationExtensions.AsEnumerable(world.Configuration()))
        {
            ["Pressluft:StateDirectory"] = state,
            ["Pressluft:Http:Enabled"] = "false",
            ["Serilog:MinimumLevel:Default"] = "Warning",
        });
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(Publisher.Name).AddInMemoryExporter(spans));
        using var host = builder.Build();
        await host.StartAsync();
        var mutation = Requests.Mutation(world, release);

        ActivityTraceId traceId;
        using (var publish = Publisher.StartActivity("deployer publishes MutationCompleted", ActivityKind.Producer))
        {
            traceId = publish!.TraceId;
            await host.Services.GetRequiredService<IBus>().Publish(mutation);
        }

        await WaitForGateAsync(host.Services, mutation.MutationJobId);
        host.Services.GetRequiredService<TracerProvider>().ForceFlush();
        await host.StopAsync();
        Directory.Delete(state, recursive: true);

        var playbooks = spans.Where(s => s.DisplayName == "playbook health-check.yml").ToList();
        var playbook = playbooks.FirstOrDefault();
        var inTrace = spans.Where(s => s.TraceId == traceId).ToList();
        var names = string.Join("\n", spans.Select(s => $"{s.TraceId} {s.SpanId} <- {s.ParentSpanId} {s.Source.Name}: {s.DisplayName}"));
        Assert.Multiple(() =>
        {
            Assert.That(playbooks, Has.Count.EqualTo(1), "one span for the one playbook run:\n" + names);
            Assert.That(playbook?.TraceId, Is.EqualTo(traceId), "the playbook span is in the event's trace:\n" + names);
            Assert.That(playbook?.GetTagItem("pressluft.playbook"), Is.EqualTo("health-check.yml"));
            Assert.That(playbook?.Source.Name, Is.EqualTo("Pressluft"));
            Assert.That(inTrace.Select(s => s.DisplayName), Has.Some.EqualTo("pressluft.health-check-passed send"), "the verdict is in the event's trace:\n" + names);
            Assert.That(Ancestors(inTrace, inTrace.FirstOrDefault(s => s.DisplayName == "pressluft.health-check-passed send")), Does.Contain(playbook),
                "the verdict was sent from within the playbook run:\n" + names);
            Assert.That(inTrace.Select(s => s.DisplayName), Has.Some.EqualTo("pressluft.gate-completed send"), "and so is the gate's end:\n" + names);
            Assert.That(inTrace.Select(s => s.DisplayName), Has.Some.EqualTo("health-check process"), "MassTransit's consume span keeps its own name:\n" + names);
        });
    }

    private static List<Activity?> Ancestors(List<Activity> trace, Activity? span)
    {
        var bySpan = trace.ToDictionary(s => s.SpanId);
        var ancestors = new List<Activity?>();
        for (var current = span; current is not null && bySpan.TryGetValue(current.ParentSpanId, out var parent); current = parent)
        {
            ancestors.Add(parent);
        }

        return ancestors;
    }

    private static async Task WaitForGateAsync(IServiceProvider services, Guid mutationJobId)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
            if (await db.Gates.AsNoTracking().AnyAsync(g => g.MutationJobId == mutationJobId && g.Outcome != null))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the gate of {mutationJobId} did not end");
    }
}
