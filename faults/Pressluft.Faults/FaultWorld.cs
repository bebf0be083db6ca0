using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Messaging.Persistence;
using Pressluft.Testing;

namespace Pressluft.Faults;

/// <summary>What the gate of a mutation must end with, knowing which releases are good.</summary>
internal enum Expected
{
    /// <summary>A good release: passed, healthy, environment active on it.</summary>
    Pass,

    /// <summary>A broken release after a good one: rolled back, release unhealthy, environment active on the prior release.</summary>
    RollBack,

    /// <summary>A node where nothing can be measured: environment failed with an inconclusive code, release not judged.</summary>
    Hold,
}

/// <summary>A mutation the scenario published (or had accepted) and therefore a gate the service owes.</summary>
internal sealed record Mutation(Guid JobId, Site Site, Release Release, Release? Previous, Expected Expected, bool MayBeSuperseded);

/// <summary>
/// One scenario's world: a vhost and database of its own (or the embedded default: in-memory bus, SQLite), a sites
/// root with local sites served over HTTP, the WP-CLI stand-in, the runners it started, and every mutation it published.
/// </summary>
internal sealed class FaultWorld : IAsyncDisposable
{
    private static int _nextHttpPort = 8570;
    private readonly List<RunnerProcess> _runners = [];
    private readonly List<Mutation> _mutations = [];
    private readonly Dictionary<string, string> _settings;
    private ServiceProvider? _ledger;

    private FaultWorld(Stack stack, string name, bool embedded, string root, TestDatabase database, string? vhost, Uri? vhostUrl)
    {
        Stack = stack;
        Name = name;
        Embedded = embedded;
        Root = root;
        Database = database;
        Vhost = vhost;
        VhostUrl = vhostUrl;
        SitesRoot = Path.Combine(root, "sites");
        Directory.CreateDirectory(SitesRoot);
        WpCli = WpCliStandIn.Write(root);
        Server = new SiteServer(SitesRoot);
        _settings = new Dictionary<string, string>
        {
            ["Pressluft:Ledger:Provider"] = database.Provider.ToString(),
            ["Pressluft:Ledger:ConnectionString"] = database.Options.ConnectionString,
            ["Pressluft:Ansible:Connection"] = "local",
            ["Pressluft:Ansible:SitesRoot"] = SitesRoot,
            ["Pressluft:Ansible:WpCliPath"] = WpCli,
            ["Pressluft:Ansible:JobsDirectory"] = Path.Combine(root, "jobs"),
            ["Pressluft:Ansible:CheckTimeoutSeconds"] = "4",
            ["Pressluft:Ansible:CheckRetries"] = "1",
            ["Pressluft:Ansible:CheckRetryDelaySeconds"] = "0",
            ["Pressluft:HealthGate:HealthCheckDeadline"] = "00:01:00",
            ["Pressluft:HealthGate:RollbackDeadline"] = "00:01:00",
            ["Pressluft:HealthGate:InconclusiveRetries"] = "1",
            ["Pressluft:HealthGate:InconclusiveRetryDelay"] = "00:00:01",
            ["Pressluft:Outbox:RelayInterval"] = "00:00:00.200",
            // A dead process's committed messages are picked up sooner than the default 30 s, to keep CI short.
            ["Pressluft:Outbox:AbandonedDeliveryAfter"] = "00:00:05",
            ["Pressluft:Logging:Format"] = "text",
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["Pressluft:StateDirectory"] = Path.Combine(root, "state"),
        };
        if (!embedded)
        {
            _settings["Pressluft:Transport:Kind"] = "RabbitMq";
            _settings["Pressluft:Transport:RabbitMqUrl"] = vhostUrl!.ToString();
        }
    }

    public Stack Stack { get; }
    public string Name { get; }
    public bool Embedded { get; }
    public string Root { get; }
    public string SitesRoot { get; }
    public string WpCli { get; }
    public SiteServer Server { get; }
    public TestDatabase Database { get; }
    public string? Vhost { get; }
    public Uri? VhostUrl { get; }
    public List<Site> Sites { get; } = [];

    /// <summary>The one local node all local sites of this scenario live on (its checks may share a playbook run).</summary>
    public Guid LocalNodeId { get; } = Guid.NewGuid();
    public IReadOnlyList<Mutation> Mutations
    {
        get
        {
            lock (_mutations)
            {
                return _mutations.ToList();
            }
        }
    }

    public IReadOnlyList<RunnerProcess> Runners => _runners;

    /// <summary>Poison messages a scenario put on purpose into the service's queues; they must end in <c>_error</c>, nothing else may.</summary>
    public int ExpectedErrorMessages { get; set; }

    public static async Task<FaultWorld> CreateAsync(Stack stack, string name, bool embedded = false)
    {
        var root = Directory.CreateTempSubdirectory($"pressluft-faults-{name}-").FullName;
        var database = await TestDatabase.CreateAsync(embedded ? LedgerProvider.Sqlite : LedgerProvider.Postgres);
        if (embedded)
        {
            return new FaultWorld(stack, name, embedded, root, database, null, null);
        }

        var vhost = $"pressluft-faults-{name}-{Guid.NewGuid():N}";
        return new FaultWorld(stack, name, embedded, root, database, vhost, await stack.CreateVhostAsync(vhost));
    }

    public string LogPath => Path.Combine(Root, "runners.log");

    /// <summary>Where each scenario's runner log is kept once its world is gone (<c>&lt;name&gt;.log</c>); none when null.</summary>
    public static string? LogsDirectory { get; set; }

    /// <summary>Adds <paramref name="count"/> sites, each with a good first release made current (not yet gated).</summary>
    public List<(Site Site, Release First)> AddSites(int count)
    {
        var added = new List<(Site, Release)>();
        for (var i = 0; i < count; i++)
        {
            var site = new Site(SitesRoot, Sites.Count + 1) { NodeId = LocalNodeId };
            site.Url = Server.UrlOf(site);
            Directory.CreateDirectory(site.SitePath);
            var first = site.AddRelease("r1", good: true);
            site.MakeCurrent(first);
            Sites.Add(site);
            added.Add((site, first));
        }

        return added;
    }

    public RunnerProcess StartRunner(IReadOnlyDictionary<string, string>? overrides = null)
    {
        var settings = new Dictionary<string, string>(_settings);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        var runner = RunnerProcess.Start(Stack.Binary, settings, NextHttpPort(), LogPath);
        _runners.Add(runner);
        return runner;
    }

    public async Task<RunnerProcess> StartReadyRunnerAsync(IReadOnlyDictionary<string, string>? overrides = null)
    {
        var runner = StartRunner(overrides);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        // Generous: on two cores shared with builds a start has taken a minute.
        if (!await runner.WaitReadyAsync(TimeSpan.FromSeconds(120)))
        {
            throw new InvalidOperationException($"a runner did not get ready within 120 s; see {LogPath}");
        }

        if (!Embedded)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!await Stack.HasBindingsAsync(Vhost!, "pressluft.mutation-completed") && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }

        Scenarios.Progress(this, $"runner {runner.Pid} ready in {watch.Elapsed.TotalSeconds:0.0} s");
        return runner;
    }

    // Ports 8570-8599 belong to this suite; the next free one, round robin.
    private static int NextHttpPort()
    {
        for (var tries = 0; tries < 30; tries++)
        {
            var port = Interlocked.Increment(ref _nextHttpPort) - 1;
            if (port > 8599)
            {
                Interlocked.Exchange(ref _nextHttpPort, 8571);
                port = 8570;
            }

            try
            {
                using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Taken (a runner of this scenario still holds it): try the next.
            }
        }

        throw new InvalidOperationException("no free HTTP port in 8570-8599");
    }

    /// <summary>Deploys as a deployer does (switch <c>current</c>, then publish); the gate is owed once the broker confirmed.</summary>
    public async Task<Mutation> DeployAsync(Site site, Release release, Release? previous, Expected expected, bool mayBeSuperseded = false,
        TimeSpan? publishWithin = null, RunnerProcess? via = null)
    {
        site.MakeCurrent(release);
        var mutation = new Mutation(Guid.NewGuid(), site, release, previous, expected, mayBeSuperseded);
        var body = MutationJson(mutation);
        if (Embedded)
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            var response = await client.PostAsync($"http://127.0.0.1:{(via ?? _runners[^1]).HttpPort}/mutations", content);
            if ((int)response.StatusCode != 202)
            {
                throw new InvalidOperationException($"the intake answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }
        else
        {
            await Stack.PublishAsync(VhostUrl!, "pressluft.mutation-completed", body, publishWithin ?? TimeSpan.FromSeconds(30));
        }

        lock (_mutations)
        {
            _mutations.Add(mutation);
        }

        return mutation;
    }

    public static string MutationJson(Mutation mutation)
    {
        var site = mutation.Site;
        var json = new JsonObject
        {
            ["mutationJobId"] = mutation.JobId.ToString(),
            ["jobType"] = "env_deploy",
            ["siteId"] = site.SiteId.ToString(),
            ["siteSlug"] = $"site-{site.Number}",
            ["environmentId"] = site.EnvironmentId.ToString(),
            ["environmentSlug"] = "production",
            ["environmentType"] = "production",
            ["node"] = new JsonObject { ["id"] = site.NodeId.ToString(), ["hostname"] = site.NodeHost, ["sshPort"] = site.NodePort, ["sshUser"] = "root" },
            ["environmentUrl"] = site.Url!.ToString(),
            ["release"] = new JsonObject { ["id"] = mutation.Release.Id.ToString(), ["path"] = mutation.Release.Path },
            ["completedAt"] = DateTimeOffset.UtcNow.ToString("O"),
        };
        if (mutation.Previous is not null)
        {
            json["previousRelease"] = new JsonObject { ["id"] = mutation.Previous.Id.ToString(), ["path"] = mutation.Previous.Path };
        }

        return json.ToJsonString();
    }

    public async Task<T> QueryAsync<T>(Func<PressluftDbContext, Task<T>> query)
    {
        _ledger ??= new ServiceCollection().AddPressluftLedger(Database.Options).BuildServiceProvider();
        await using var scope = _ledger.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<PressluftDbContext>());
    }

    /// <summary>The ledger query, or null while the database does not answer (restarting) or is not migrated yet.</summary>
    public async Task<T?> TryQueryAsync<T>(Func<PressluftDbContext, Task<T>> query)
        where T : class
    {
        try
        {
            return await QueryAsync(query);
        }
        catch (Exception exception) when (exception is Npgsql.NpgsqlException or Microsoft.Data.Sqlite.SqliteException or InvalidOperationException or TimeoutException)
        {
            return null;
        }
    }

    /// <summary>Waits until every gate owed has an outcome; returns how many are still open when the time is up.</summary>
    public async Task<int> WaitForGatesAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + within;
        var open = int.MaxValue;
        while (DateTime.UtcNow < deadline)
        {
            var ids = Mutations.Select(m => m.JobId).ToList();
            var ended = await TryQueryAsync(db => db.Gates.AsNoTracking().Where(g => g.Outcome != null).Select(g => g.MutationJobId).ToListAsync(cancellationToken));
            if (ended is not null)
            {
                open = ids.Except(ended).Count();
                if (open == 0)
                {
                    return 0;
                }
            }

            await Task.Delay(250, cancellationToken);
        }

        return open;
    }

    /// <summary>Waits until nothing is left in flight: service queues and the outbox empty (or the time is up).</summary>
    public async Task SettleAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            var outbox = await TryQueryAsync(db => db.OutboxMessages.AsNoTracking().Select(m => m.SequenceNumber).ToListAsync(cancellationToken));
            var queues = Embedded ? new Dictionary<string, long>() : await Stack.QueueDepthsAsync(Vhost!);
            if (outbox is { Count: 0 } && queues is not null && queues.Where(q => !IsDeadLetter(q.Key)).All(q => q.Value == 0))
            {
                return;
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    public static bool IsDeadLetter(string queue) => queue.EndsWith("_error", StringComparison.Ordinal) || queue.EndsWith("_skipped", StringComparison.Ordinal);

    public async Task StopRunnersAsync()
    {
        foreach (var runner in _runners.Where(r => !r.HasExited))
        {
            await runner.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var runner in _runners)
        {
            await runner.DisposeAsync();
        }

        if (_ledger is not null)
        {
            await _ledger.DisposeAsync();
        }

        await Server.DisposeAsync();
        await Database.DisposeAsync();
        if (Vhost is not null)
        {
            await Stack.DeleteVhostAsync(Vhost);
        }

        if (LogsDirectory is not null && File.Exists(LogPath))
        {
            File.Copy(LogPath, Path.Combine(LogsDirectory, $"{Name}.log"), overwrite: true);
        }

        if (Environment.GetEnvironmentVariable("PRESSLUFT_FAULTS_KEEP") != "1")
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }
}
