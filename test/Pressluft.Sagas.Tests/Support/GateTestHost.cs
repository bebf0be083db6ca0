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
    /// <summary>Passed to the harness's lists to read what they hold now, without waiting for more.</summary>
    private static readonly CancellationToken Now = new(canceled: true);

    private readonly TestDatabase? _ownDatabase;
    private readonly FinishedReceives _receives;

    private GateTestHost(ServiceProvider provider, IConfigurationRoot configuration, TestDatabase? ownDatabase, FinishedReceives receives)
    {
        Provider = provider;
        Configuration = configuration;
        _ownDatabase = ownDatabase;
        _receives = receives;
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
        Action<IServiceProvider, DbContextOptionsBuilder>? database = null, TestDatabase? shared = null)
    {
        // A shared database is another runner's ledger: this host uses it and leaves it to its owner.
        var testDatabase = shared ?? await TestDatabase.CreateAsync(ledger);
        var values = new Dictionary<string, string?>
        {
            // Deadlines count from the request here (no queue to wait in): a silent runner times out after the deadline alone.
            ["Pressluft:HealthGate:QueueTimeout"] = "00:00:00",
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
        var receives = new FinishedReceives();
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
                    cfg.ConnectReceiveObserver(receives);
                    ContractTopology.Apply(cfg);
                    bus?.Invoke(cfg);
                    cfg.ConfigureGateEndpoints(context);
                });
            });
        services?.Invoke(collection);
        var provider = collection.BuildServiceProvider(validateScopes: true);

        // As the service's start does: the guarded config is read and checked before the first message.
        provider.GetRequiredService<Pressluft.Sagas.Gate.GuardedConfig>();
        await provider.MigrateLedgerAsync();
        var host = new GateTestHost(provider, configuration, shared is null ? testDatabase : null, receives);
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

    /// <summary>
    /// Waits until the gate of <paramref name="mutationJobId"/> has an outcome in the ledger and the saga has handled every
    /// job start the runner announced on its environment: a <see cref="Contracts.JobStarted"/> may come in after its job's
    /// answer (without partitions they race on the saga's row), and is then a stale transition of its own, which a spec
    /// counting the saga's updates must not see half way.
    /// </summary>
    public async Task<GateRecord> WaitForGateAsync(Guid mutationJobId, TimeSpan? timeout = null)
    {
        GateRecord? gate = null;
        await Eventually(async db =>
        {
            gate = await db.Gates.AsNoTracking().SingleOrDefaultAsync(g => g.MutationJobId == mutationJobId);
            return gate?.Outcome is not null;
        }, timeout, $"gate of mutation {mutationJobId} to end");
        var environmentId = gate!.EnvironmentId;
        await HandledAsync<Contracts.JobStarted>(m => m.EnvironmentId == environmentId, Runner.Starts.Count(s => s.EnvironmentId == environmentId), timeout);
        return gate;
    }

    /// <summary>The one health check request the runner has received (the outbox delivers after the saga commits, so wait for it).</summary>
    public async Task<Contracts.HealthCheckRequested> SingleCheckRequestAsync()
    {
        // Polled rather than Harness.Consumed.Any: once the harness saw 2 s without activity, that returns at once.
        await Until(() => Task.FromResult(!Runner.CheckRequests.IsEmpty), what: "a health check to be requested");
        return Runner.CheckRequests.Single();
    }

    /// <summary>Waits until the runner has received a health check request that matches, and returns it.</summary>
    public async Task<Contracts.HealthCheckRequested> CheckRequestAsync(Func<Contracts.HealthCheckRequested, bool> match)
    {
        Contracts.HealthCheckRequested? request = null;
        await Until(() =>
        {
            request = Runner.CheckRequests.FirstOrDefault(match);
            return Task.FromResult(request is not null);
        }, what: "the health check to be requested");
        return request!;
    }

    /// <summary>Sends a message straight to the saga's queue, as the relay delivers a deadline or retry it scheduled.</summary>
    public async Task SendToSagaAsync<T>(T message)
        where T : class
    {
        var endpoint = await Harness.Bus.GetSendEndpoint(ReleaseLifecycleSagaDefinition.SagaQueue);
        await endpoint.Send(message);
    }

    /// <summary>The one rollback request the runner has received.</summary>
    public async Task<Contracts.RollbackRequested> SingleRollbackRequestAsync()
    {
        await Until(() => Task.FromResult(!Runner.RollbackRequests.IsEmpty), what: "a rollback to be requested");
        return Runner.RollbackRequests.Single();
    }

    /// <summary>Waits until the saga of <paramref name="environmentId"/> is in <paramref name="state"/>.</summary>
    public async Task WaitForStateAsync(Guid environmentId, Func<ReleaseLifecycleStateMachine, MassTransit.State> state)
    {
        var found = await Saga.Exists(environmentId, state, TimeSpan.FromSeconds(20));
        Assert.That(found, Is.Not.Null, $"saga {environmentId} did not reach {state(Machine).Name}");
    }

    /// <summary>
    /// Waits until the saga has consumed <paramref name="count"/> messages of type <typeparamref name="T"/> that match
    /// <paramref name="match"/>, and each of those transitions has committed and handed what it sent to the transport
    /// (its inbox row is delivered). Fails as soon as one of them faulted. Returns the consumptions.
    /// </summary>
    /// <remarks>
    /// Wait with this, not with <c>Harness.InactivityTask</c>, before asserting that a message changed nothing: in
    /// MassTransit 8.5 that task completes once per harness and then cancels the token every harness list waits with,
    /// so a later wait on either returns at once and the assertion after it checks nothing.
    /// </remarks>
    public async Task<IReadOnlyList<IReceivedMessage<T>>> HandledAsync<T>(Func<T, bool> match, int count = 1, TimeSpan? timeout = null)
        where T : class
    {
        List<IReceivedMessage<T>> consumed = [];
        await Until(async () =>
        {
            consumed = Saga.Consumed.Select<T>(x => match(x.Context.Message), Now).ToList();
            var ids = consumed.Select(c => c.Context.MessageId!.Value).ToList();
            var faults = PublishedFaults<T>(ids);
            if (faults.Count > 0)
            {
                Assert.Fail($"{typeof(T).Name} faulted instead of being handled: {string.Join("; ", faults.Select(e => $"{e.ExceptionType}: {e.Message}"))}");
            }

            if (consumed.Count < count)
            {
                return false;
            }

            var delivered = await QueryAsync(db => db.InboxStates.CountAsync(i => ids.Contains(i.MessageId) && i.Delivered != null));
            return delivered == ids.Count;
        }, timeout, $"the saga to handle {count} {typeof(T).Name}");
        return consumed;
    }

    /// <summary>Why each <typeparamref name="T"/> of <paramref name="messageIds"/> faulted, from the faults published so far.</summary>
    public IReadOnlyList<ExceptionInfo> PublishedFaults<T>(IReadOnlyCollection<Guid> messageIds)
        where T : class =>
        Harness.Published.Select<Fault<T>>(f => messageIds.Contains(f.Context.Message.FaultedMessageId ?? Guid.Empty), Now)
            .SelectMany(f => f.Context.Message.Exceptions)
            .ToList();

    /// <summary>
    /// Waits until <paramref name="queue"/> (the saga's own by default; <see cref="MutationIntake.QueueName"/> for mutations)
    /// has finished with <paramref name="times"/> deliveries of the message <paramref name="messageId"/>, retries and
    /// outgoing messages included; fails if one of them faulted. For copies of one message: the inbox keeps a consumed copy
    /// from reaching the saga, so <see cref="HandledAsync{T}"/> cannot see it.
    /// </summary>
    public async Task ReceivedAsync(Guid messageId, int times, string queue = ReleaseLifecycleSagaDefinition.QueueName) =>
        Assert.That(await FaultsAsync(messageId, queue, times), Is.Empty, $"a delivery of message {messageId} faulted");

    /// <summary>
    /// Waits until <paramref name="queue"/> has finished with <paramref name="times"/> deliveries of the message
    /// <paramref name="messageId"/>; returns why each delivery faulted.
    /// </summary>
    public async Task<IReadOnlyList<Exception>> FaultsAsync(Guid messageId, string queue, int times = 1)
    {
        await Until(() => Task.FromResult(_receives.Count(messageId, queue) >= times), null,
            $"{times} deliveries of message {messageId} to {queue} to be finished");
        return _receives.Faults(messageId, queue);
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
        if (_ownDatabase is not null)
        {
            await _ownDatabase.DisposeAsync();
        }
    }
}
