using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Messaging.Bus;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.StateMachines;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests.Support;

/// <summary>
/// One test's world: the gate on MassTransit's in-memory test harness, the ledger (and saga, inbox and outbox) in a
/// fresh SQLite file or PostgreSQL database,
/// the scripted runner answering requests, and the guarded config in a reloadable in-memory configuration.
/// </summary>
public sealed class GateTestHost : IAsyncDisposable
{
    private readonly TestDatabase _database;

    private GateTestHost(ServiceProvider provider, IConfigurationRoot configuration, TestDatabase database)
    {
        Provider = provider;
        Configuration = configuration;
        _database = database;
        Harness = provider.GetRequiredService<ITestHarness>();
        Runner = provider.GetRequiredService<ScriptedRunner>();
        Saga = Harness.GetSagaStateMachineHarness<ReleaseLifecycleStateMachine, ReleaseLifecycleState>();
        Machine = provider.GetRequiredService<ReleaseLifecycleStateMachine>();
    }

    public ServiceProvider Provider { get; }
    public IConfigurationRoot Configuration { get; }
    public ITestHarness Harness { get; }
    public ScriptedRunner Runner { get; }
    public ISagaStateMachineTestHarness<ReleaseLifecycleStateMachine, ReleaseLifecycleState> Saga { get; }
    public ReleaseLifecycleStateMachine Machine { get; }

    public static async Task<GateTestHost> StartAsync(LedgerProvider ledger, IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null, Action<IInMemoryBusFactoryConfigurator>? bus = null,
        Action<IServiceProvider, DbContextOptionsBuilder>? database = null)
    {
        var testDatabase = await TestDatabase.CreateAsync(ledger);
        var values = new Dictionary<string, string?>
        {
            ["Pressluft:HealthGate:HealthCheckDeadline"] = "00:00:20",
            ["Pressluft:HealthGate:RollbackDeadline"] = "00:00:20",
            ["Pressluft:HealthGate:InconclusiveRetries"] = "2",
            ["Pressluft:HealthGate:InconclusiveRetryDelay"] = "00:00:00.050",
            ["Pressluft:Outbox:RelayInterval"] = "00:00:00.050",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var collection = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton<ScriptedRunner>()
            .AddPressluftLedger(testDatabase.Options, database)
            .AddReleaseGateServices(configuration)
            .AddMassTransitTestHarness(x =>
            {
                x.SetTestTimeouts(testTimeout: TimeSpan.FromSeconds(30), testInactivityTimeout: TimeSpan.FromSeconds(2));
                x.AddReleaseGate();
                x.AddConsumer<ScriptedHealthCheckConsumer>();
                x.AddConsumer<ScriptedRollbackConsumer>();
                x.AddConsumer<GateEventProbe>();
                x.UsingInMemory((context, cfg) =>
                {
                    cfg.UseDelayedMessageScheduler();
                    ContractTopology.Apply(cfg);
                    bus?.Invoke(cfg);
                    cfg.ConfigureEndpoints(context);
                });
            });
        services?.Invoke(collection);
        var provider = collection.BuildServiceProvider(validateScopes: true);

        // As the service's start does: the guarded config is read and checked before the first message.
        provider.GetRequiredService<Pressluft.Sagas.Gate.GuardedConfig>();
        await provider.MigrateLedgerAsync();
        var host = new GateTestHost(provider, configuration, testDatabase);
        await host.Harness.Start();
        return host;
    }

    /// <summary>Changes the guarded config while the bus runs, as an operator editing appsettings would.</summary>
    public void SetSetting(string key, string value)
    {
        Configuration[key] = value;
        Configuration.Reload();
    }

    public void SetMode(string jobType, string mode) => SetSetting($"Pressluft:HealthGate:Operations:{jobType}:Mode", mode);

    public Task PublishAsync<T>(T message)
        where T : class => Harness.Bus.Publish(message);

    /// <summary>Waits until the gate of <paramref name="mutationJobId"/> has an outcome in the ledger.</summary>
    public async Task<GateRecord> WaitForGateAsync(Guid mutationJobId, TimeSpan? timeout = null)
    {
        GateRecord? gate = null;
        await Eventually(async db =>
        {
            gate = await db.Gates.AsNoTracking().SingleOrDefaultAsync(g => g.MutationJobId == mutationJobId);
            return gate?.Outcome is not null;
        }, timeout, $"gate of mutation {mutationJobId} to end");
        return gate!;
    }

    /// <summary>The one health check request the runner has received (the outbox delivers after the saga commits, so wait for it).</summary>
    public async Task<Contracts.HealthCheckRequested> SingleCheckRequestAsync()
    {
        Assert.That(await Harness.Consumed.Any<Contracts.HealthCheckRequested>(), Is.True, "no health check was requested");
        return Runner.CheckRequests.Single();
    }

    /// <summary>The one rollback request the runner has received.</summary>
    public async Task<Contracts.RollbackRequested> SingleRollbackRequestAsync()
    {
        Assert.That(await Harness.Consumed.Any<Contracts.RollbackRequested>(), Is.True, "no rollback was requested");
        return Runner.RollbackRequests.Single();
    }

    /// <summary>Waits until the saga of <paramref name="environmentId"/> is in <paramref name="state"/>.</summary>
    public async Task WaitForStateAsync(Guid environmentId, Func<ReleaseLifecycleStateMachine, MassTransit.State> state)
    {
        var found = await Saga.Exists(environmentId, state, TimeSpan.FromSeconds(20));
        Assert.That(found, Is.Not.Null, $"saga {environmentId} did not reach {state(Machine).Name}");
    }

    /// <summary>Polls the ledger until <paramref name="condition"/> holds.</summary>
    public Task Eventually(Func<PressluftDbContext, Task<bool>> condition, TimeSpan? timeout = null, string? what = null) =>
        Until(() => QueryAsync(condition), timeout, what);

    /// <summary>Polls until <paramref name="condition"/> holds, or fails the test after <paramref name="timeout"/>.</summary>
    public static async Task Until(Func<Task<bool>> condition, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what ?? "the ledger condition"}");
            }

            await Task.Delay(20);
        }
    }

    public async Task<T> QueryAsync<T>(Func<PressluftDbContext, Task<T>> query)
    {
        await using var scope = Provider.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<PressluftDbContext>());
    }

    public Task<List<JobRecord>> JobsAsync(Guid environmentId) =>
        QueryAsync(db => db.Jobs.AsNoTracking().Where(j => j.EnvironmentId == environmentId).OrderBy(j => j.CreatedAt).ToListAsync());

    public Task<EnvironmentRecord> EnvironmentAsync(Guid environmentId) =>
        QueryAsync(db => db.Environments.AsNoTracking().SingleAsync(e => e.Id == environmentId));

    public Task<SiteRecord> SiteAsync(Guid siteId) =>
        QueryAsync(db => db.Sites.AsNoTracking().SingleAsync(e => e.Id == siteId));

    public Task<ReleaseRecord> ReleaseAsync(Guid releaseId) =>
        QueryAsync(db => db.Releases.AsNoTracking().SingleAsync(e => e.Id == releaseId));

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await Provider.DisposeAsync();
        await _database.DisposeAsync();
    }
}
