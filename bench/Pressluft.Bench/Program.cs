using System.Diagnostics;
using System.Globalization;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pressluft.Bench;
using Pressluft.Contracts;
using Pressluft.Messaging.Bus;
using Pressluft.Messaging.Persistence;

// Usage: Pressluft.Bench <postgres connection string> [gates=400] [concurrency=16]
// Each gate is one message through mutation-intake and three saga transitions (MutationCompleted, JobStarted,
// HealthCheckPassed), all on the real EF repository and inbox/outbox. Bounded: at most 5 minutes.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: Pressluft.Bench <postgres connection string> [gates] [concurrency]");
    return 2;
}

var connectionString = args[0];
var gates = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 400;
var concurrency = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 16;
var traffic = new DatabaseTraffic();

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders().AddSimpleConsole().SetMinimumLevel(LogLevel.Warning)
    .AddFilter("Microsoft.EntityFrameworkCore.Database.Connection", LogLevel.None);
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    // The relay and clean-up poll on their own schedule; they are not part of a message's cost.
    ["Pressluft:Outbox:RunBackgroundServices"] = "false",
});
builder.Services.AddPressluftLedger(new LedgerOptions { Provider = LedgerProvider.Postgres, ConnectionString = connectionString },
    (_, options) => options.AddInterceptors(traffic));
builder.Services.AddReleaseGateServices(builder.Configuration);
builder.Services.AddMassTransit(x =>
{
    x.SetKebabCaseEndpointNameFormatter();
    x.AddReleaseGate();
    x.AddConsumer<InstantRunner>();
    x.AddConsumer<GateCounter>();
    x.AddConfigureEndpointsCallback((_, _, cfg) => cfg.ConcurrentMessageLimit = concurrency);
    x.UsingInMemory((context, cfg) =>
    {
        cfg.UseDelayedMessageScheduler();
        cfg.ConfigureEndpoints(context);
    });
});

using var host = builder.Build();
await using (var scope = host.Services.CreateAsyncScope())
{
    var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
    await db.Database.EnsureDeletedAsync();
}

await host.Services.MigrateLedgerAsync();
await host.StartAsync();
var bus = host.Services.GetRequiredService<IBus>();

await RunAsync(Math.Min(50, gates), "warm-up");
traffic.Reset();
var (elapsed, transitions) = await RunAsync(gates, "measured");

await using (var scope = host.Services.CreateAsyncScope())
{
    var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
    var fsync = await db.Database.SqlQueryRaw<string>("SELECT setting AS \"Value\" FROM pg_settings WHERE name = 'fsync'").SingleAsync();
    Console.WriteLine($"PostgreSQL fsync={fsync}; {gates} gates, endpoint concurrency {concurrency}");
}

// Every consumed message that touches the database: the intake's and the saga's.
var messages = transitions / 3 * 4;
Console.WriteLine($"saga transitions: {transitions} in {elapsed.TotalSeconds:0.00} s = {transitions / elapsed.TotalSeconds:0} transitions/s ({messages} consumed messages incl. mutation-intake)");
Console.WriteLine($"per consumed message: {(double)traffic.Commits / messages:0.00} commits, {(double)traffic.Commands / messages:0.00} commands (round trips incl. commits: {(double)(traffic.Commands + traffic.Commits) / messages:0.00})");
await host.StopAsync();
return 0;

async Task<(TimeSpan Elapsed, int Transitions)> RunAsync(int count, string phase)
{
    var start = GateCounter.Completed;
    var stopwatch = Stopwatch.StartNew();
    for (var i = 0; i < count; i++)
    {
        var siteId = Guid.NewGuid();
        await bus.Publish(new MutationCompleted
        {
            MutationJobId = NewId.NextGuid(),
            JobType = JobTypes.EnvDeploy,
            SiteId = siteId,
            EnvironmentId = Guid.NewGuid(),
            Node = new NodeRef { Id = Guid.NewGuid(), Hostname = "node-1", SshUser = "deploy" },
            EnvironmentUrl = "https://bench.example.test/",
            Release = new ReleaseRef { Id = Guid.NewGuid(), Path = $"/var/www/sites/{siteId}/releases/r1" },
            CompletedAt = DateTimeOffset.UtcNow,
        });
    }

    var limit = Stopwatch.StartNew();
    while (GateCounter.Completed - start < count)
    {
        if (limit.Elapsed > TimeSpan.FromMinutes(5))
        {
            throw new TimeoutException($"{phase}: only {GateCounter.Completed - start} of {count} gates finished in 5 minutes");
        }

        await Task.Delay(10);
    }

    stopwatch.Stop();
    return (stopwatch.Elapsed, count * 3);
}
