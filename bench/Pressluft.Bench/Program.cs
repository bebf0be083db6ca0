using System.Diagnostics;
using System.Globalization;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pressluft.Bench;
using Pressluft.Contracts;
using Pressluft.Messaging.Bus;
using Pressluft.Runner.Ansible;
using Pressluft.Runner.Demo;
using Pressluft.Runner.Hosting;

// The release gate's performance figures, each row of issue 10's table with its target (see README "Bench" and
// build.cake's Bench target, which starts PostgreSQL with fsync on and RabbitMQ, and stops them again):
//   1. the floor: ansible-playbook of a one-task play with one uri check, against a local site (run again beside each
//      real-playbook gate in 4, so those targets follow the machine's speed at the time);
//   2. pgbench -N, 4 clients, on the same PostgreSQL;
//   3. `pressluft run` on RabbitMQ + PostgreSQL in a process of its own with a stub ansible-playbook: memory idle,
//      event -> request latency (soon after the start, then in the steady state after --warmup gates), then a backlog
//      of gates for throughput, memory under load and CPU per gate;
//   4. `pressluft run` again with the real playbooks: event -> healthy, failure -> rollback -> re-check, a fleet backlog;
//   5. the embedded default (in-memory bus + SQLite), composed in this process as `pressluft run` composes it (with its
//      runtime settings, see the .csproj), with the stub: event -> request latency, timed as in 3.
// Everything runs through the service's real registration: background services on, the EF inbox/outbox on every
// endpoint that writes or answers (the saga's, also on mutation-intake, and the runner's),
// the runner's real consumers and launcher. Nothing here is asserted; the numbers are printed.
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException exception)
{
    Console.Error.WriteLine($"{exception.Message}\nusage: Pressluft.Bench --postgres <connection string> --rabbitmq <amqp url> --service <pressluft executable> " +
        "--ansible <ansible folder> [--http-port 8600] [--gates 400] [--samples 200] [--warmup 400] [--rate 0] [--playbook-runs 5] [--rollback-runs 3] [--fleet 100] [--pgbench-seconds 15] [--phases floor,pgbench,stub,real,embedded] [--work <folder>] [--keep-work true]");
    return 2;
}

var output = Console.Out;
var report = new Report(output);
var work = options.WorkDirectory;
Directory.CreateDirectory(work);
var bin = Directory.CreateDirectory(Path.Combine(work, "bin")).FullName;
var stub = StubAnsiblePlaybook.Write(bin);
var wp = StandInWpCli.Write(bin);
var benchDatabase = Postgres.WithDatabase(options.Postgres, "pressluft_bench");
var pgbenchDatabase = Postgres.WithDatabase(options.Postgres, "pressluft_pgbench");
// One node for every stub environment: the runner may share an ansible-playbook run between them, as in a fleet.
var stubNode = Guid.NewGuid();
var finished = false;

try
{
    await using var floor = options.Runs("floor") || options.Runs("real") ? await Floor.StartAsync(options.AnsibleDirectory, work) : null;
    if (floor is not null)
    {
        Step("floor: ansible-playbook, one uri check");
        for (var i = 0; i < 3; i++)
        {
            await floor.RunAsync();
        }

        report.Info("floor (one-task play, one uri check)", $"{floor.Median.TotalSeconds:0.000} s (median of 3)");
    }

    var tps = double.NaN;
    if (options.Runs("pgbench"))
    {
        Step($"pgbench -N, 4 clients, {options.PgbenchSeconds} s");
        await Postgres.RecreateAsync(options.Postgres, "pressluft_pgbench");
        tps = await Postgres.PgbenchAsync(pgbenchDatabase, options.PgbenchSeconds);
        await Postgres.DropAsync(options.Postgres, "pressluft_pgbench");
        report.Info("pgbench -N TPS (4 clients, fsync on)", tps.ToString("0", CultureInfo.InvariantCulture));
    }

    // 3. RabbitMQ + PostgreSQL, stub ansible-playbook.
    await Postgres.RecreateAsync(options.Postgres, "pressluft_bench");
    var stubSites = Directory.CreateDirectory(Path.Combine(work, "stub-sites")).FullName;
    var busControl = Bus.Factory.CreateUsingRabbitMq(cfg =>
    {
        cfg.Host(new Uri(options.RabbitMq));
        ContractTopology.Apply(cfg);
    });
    await busControl.StartAsync();
    try
    {
        var watch = new GateWatch();
        await watch.ConnectAsync(busControl);
        if (options.Runs("stub"))
        {
            Step("pressluft run on RabbitMQ + PostgreSQL, stub ansible-playbook");
            await using (var service = await ServiceProcess.StartAsync(options.Service, Path.Combine(work, "service-stub.log"), options.HttpPort,
                             ServiceSettings(stub, stubSites, "stub")))
            {
                await Task.Delay(TimeSpan.FromSeconds(5));
                var idle = service.RssMiB();
                Step($"latency: {options.Samples} events {(options.Rate > 0 ? $"at {options.Rate}/s" : "one at a time")}");
                var (p50, p99) = await LatencyAsync(m => busControl.Publish(m), watch, stubSites, "RabbitMQ + PostgreSQL", inThisProcess: false);
                report.Row("MutationCompleted published -> HealthCheckRequested delivered, p99, RabbitMQ + PostgreSQL",
                    $"{p99:0.0} ms (p50 {p50:0.0})", "<= 20 ms", p99, 20, lowerIsBetter: true);

                Step($"throughput: a backlog of {options.Gates} gates");
                var transactionsBefore = await Postgres.CommittedTransactionsAsync(options.Postgres, "pressluft_bench");
                // Scraped before the CPU is read, so the scrape's own work stays out of the backlog's CPU figure.
                var allocatedBefore = await service.AllocatedBytesAsync();
                var cpuBefore = CpuUse.Now(service.Pid);
                var peak = 0.0;
                using var sampling = new CancellationTokenSource();
                var sampler = Task.Run(async () =>
                {
                    while (!sampling.IsCancellationRequested)
                    {
                        peak = Math.Max(peak, service.RssMiB());
                        await Task.Delay(250, CancellationToken.None);
                    }
                });
                var (elapsed, failed) = await BacklogAsync(m => busControl.Publish(m), watch, StubMutations(options.Gates, stubSites));
                await sampling.CancelAsync();
                await sampler;
                var used = CpuUse.Now(service.Pid) - cpuBefore;
                var allocated = await service.AllocatedBytesAsync() - allocatedBefore;
                var cpu = used.Service;
                var transactions = await Postgres.CommittedTransactionsAsync(options.Postgres, "pressluft_bench") - transactionsBefore;
                var gatesPerSecond = options.Gates / elapsed.TotalSeconds;
                if (options.Runs("pgbench"))
                {
                    report.Row($"complete gates/s (stub ansible-playbook) / pgbench -N TPS: {gatesPerSecond:0.0} / {tps:0}",
                        $"{gatesPerSecond / tps:0.000}", ">= 0.05 (aim 0.10)", gatesPerSecond / tps, 0.05, lowerIsBetter: false);
                }
                else
                {
                    report.Info("complete gates/s (stub ansible-playbook)", $"{gatesPerSecond:0.0}");
                }

                // Consumed by the service per gate: MutationCompleted (the saga, on mutation-intake), the runner's
                // HealthCheckRequested, and the saga's JobStarted and HealthCheckPassed.
                report.Info("service CPU per gate / per consumed message (4 per gate)",
                    $"{cpu.TotalMilliseconds / options.Gates:0.00} ms / {cpu.TotalMilliseconds / options.Gates / 4:0.00} ms ({options.Gates} gates in {elapsed.TotalSeconds:0.00} s{(failed > 0 ? $", {failed} not passed" : "")})");
                report.Info("CPU per gate, whole machine, the backlog", used.Per(options.Gates));
                report.Info("service allocations per gate / per consumed message (managed heap, the backlog)",
                    $"{allocated / options.Gates / 1024:0} KiB / {allocated / options.Gates / 4 / 1024:0} KiB");
                // Every statement outside a transaction counts as one, as do the relay's idle looks (two every 5 s at most).
                report.Info("PostgreSQL transactions per gate (pg_stat_database, the backlog)", $"{(double)transactions / options.Gates:0.0}");
                report.Row("runner RSS idle / under load (ps)", $"{idle:0} / {peak:0} MiB", "<= 120 / 200 MiB",
                    Math.Max(idle / 120, peak / 200), 1, lowerIsBetter: true);
            }
        }

        // 4. RabbitMQ + PostgreSQL, the real playbooks against local sites.
        if (options.Runs("real"))
        {
            Step("pressluft run on RabbitMQ + PostgreSQL, real playbooks");
            var sites = Directory.CreateDirectory(Path.Combine(work, "sites")).FullName;
            await using (var service = await ServiceProcess.StartAsync(options.Service, Path.Combine(work, "service-real.log"), options.HttpPort,
                             ServiceSettings("ansible-playbook", sites, "real")))
            {
                // The floor is run again beside each gate (not at the same time), so the targets follow the machine.
                var anchor = floor!;
                var healthy = new List<double>();
                for (var i = 0; i < options.PlaybookRuns; i++)
                {
                    await anchor.RunAsync();
                    var site = new LocalSite(sites);
                    var release = site.AddRelease("r1");
                    site.MakeCurrent(release);
                    await using var server = LocalSiteServer.Start(site.SitePath);
                    var (duration, outcome) = await GateAsync(m => busControl.Publish(m), watch, Mutation(site, site.NodeId, server.Url, release, null));
                    Expect(outcome, GateOutcomes.Passed);
                    healthy.Add(duration.TotalSeconds);
                }

                var rollbacks = new List<double>();
                for (var i = 0; i < options.RollbackRuns; i++)
                {
                    await anchor.RunAsync();
                    var site = new LocalSite(sites);
                    var good = site.AddRelease("r1");
                    var broken = site.AddRelease("r2", httpStatus: 500);
                    site.MakeCurrent(broken);
                    await using var server = LocalSiteServer.Start(site.SitePath);
                    var (duration, outcome) = await GateAsync(m => busControl.Publish(m), watch, Mutation(site, site.NodeId, server.Url, broken, good));
                    Expect(outcome, GateOutcomes.RolledBack);
                    rollbacks.Add(duration.TotalSeconds);
                }

                report.Info("floor, also run beside each real-playbook gate", $"{anchor.Median.TotalSeconds:0.000} s (median of {anchor.Runs}); the next two rows use it");
                var healthyTarget = anchor.Median.TotalSeconds + 0.25;
                report.Row($"event -> release healthy, real playbook (median; max {healthy.Max():0.00} s)", $"{Median(healthy):0.00} s",
                    $"<= floor + 0.25 = {healthyTarget:0.00} s", Median(healthy), healthyTarget, lowerIsBetter: true);
                var rollbackTarget = 3 * anchor.Median.TotalSeconds + 0.5;
                report.Row($"failure -> rollback -> re-check -> gate done (median; max {rollbacks.Max():0.00} s)", $"{Median(rollbacks):0.00} s",
                    $"<= 3 x floor + 0.5 = {rollbackTarget:0.00} s", Median(rollbacks), rollbackTarget, lowerIsBetter: true);

                Step($"fleet: a backlog of {options.Fleet} local sites on one node");
                var node = Guid.NewGuid();
                var fleet = new List<MutationCompleted>();
                var servers = new List<LocalSiteServer>();
                try
                {
                    for (var i = 0; i < options.Fleet; i++)
                    {
                        var site = new LocalSite(sites);
                        var release = site.AddRelease("r1");
                        site.MakeCurrent(release);
                        var server = LocalSiteServer.Start(site.SitePath);
                        servers.Add(server);
                        fleet.Add(Mutation(site, node, server.Url, release, null));
                    }

                    var (elapsed, failed) = await BacklogAsync(m => busControl.Publish(m), watch, fleet);
                    var perMinute = options.Fleet / elapsed.TotalMinutes;
                    report.Row($"gates per minute, real playbooks, one runner, {options.Fleet} sites on one node{(failed > 0 ? $" ({failed} not passed)" : "")}",
                        $"{perMinute:0}", ">= 100", perMinute, 100, lowerIsBetter: false);
                }
                finally
                {
                    foreach (var server in servers)
                    {
                        await server.DisposeAsync();
                    }
                }
            }
        }
    }
    finally
    {
        await busControl.StopAsync();
    }

    // 5. The embedded default, composed as `pressluft run` composes it; its log goes to a file, not the table.
    if (options.Runs("embedded"))
    {
        Step("embedded default (in-memory bus + SQLite), stub ansible-playbook");
        var embedded = Directory.CreateDirectory(Path.Combine(work, "embedded")).FullName;
        await using (var log = new StreamWriter(Path.Combine(work, "service-embedded.log")) { AutoFlush = true })
        {
            Console.SetOut(log);
            try
            {
                var settings = ServiceSettings(stub, stubSites, "embedded");
                settings.Remove("Pressluft:Transport:Kind");
                settings.Remove("Pressluft:Transport:RabbitMqUrl");
                settings["Pressluft:Ledger:Provider"] = "Sqlite";
                settings["Pressluft:Ledger:ConnectionString"] = $"Data Source={Path.Combine(embedded, "pressluft.db")}";
                settings["Pressluft:StateDirectory"] = embedded;
                settings["Pressluft:Http:Enabled"] = "false";
                using var host = RunnerHost.CreateBuilder(settings!).Build();
                await host.StartAsync();
                try
                {
                    var bus = host.Services.GetRequiredService<IBus>();
                    var watch = new GateWatch();
                    await watch.ConnectAsync(bus);
                    var (p50, p99) = await LatencyAsync(m => bus.Publish(m), watch, stubSites, "embedded", inThisProcess: true);
                    report.Row("the same on the embedded default (in-memory bus + SQLite), p99", $"{p99:0.0} ms (p50 {p50:0.0})", "<= 20 ms", p99, 20, lowerIsBetter: true);
                }
                finally
                {
                    await host.StopAsync();
                }
            }
            finally
            {
                Console.SetOut(output);
            }
        }
    }

    finished = true;
}
finally
{
    report.Print();
    try
    {
        await Postgres.DropAsync(options.Postgres, "pressluft_pgbench");
    }
    catch (Npgsql.NpgsqlException)
    {
        // Best effort: the cluster is private to the bench and stopped by the Bench target.
    }

    if (finished && !options.KeepWork)
    {
        Directory.Delete(work, recursive: true);
    }
    else
    {
        output.WriteLine($"{(finished ? "work folder kept" : "bench stopped early; logs kept")} in {work}");
    }
}

return report.AllPassed ? 0 : 1;

void Step(string what) => output.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {what}");

Dictionary<string, string> ServiceSettings(string ansiblePlaybook, string sitesRoot, string name) => new()
{
    ["Pressluft:Transport:Kind"] = "RabbitMq",
    ["Pressluft:Transport:RabbitMqUrl"] = options.RabbitMq,
    ["Pressluft:Ledger:Provider"] = "Postgres",
    ["Pressluft:Ledger:ConnectionString"] = benchDatabase,
    ["Pressluft:StateDirectory"] = Directory.CreateDirectory(Path.Combine(work, "state-" + name)).FullName,
    ["Pressluft:Ansible:AnsiblePlaybookPath"] = ansiblePlaybook,
    // The launcher's Python as a real install gets it (from the real ansible-playbook), also under the stub, whose #! is sh.
    ["Pressluft:Ansible:PythonPath"] = LauncherPython.For("ansible-playbook"),
    ["Pressluft:Ansible:Connection"] = "local",
    ["Pressluft:Ansible:SitesRoot"] = sitesRoot,
    ["Pressluft:Ansible:WpCliPath"] = wp,
    ["Pressluft:Ansible:JobsDirectory"] = Directory.CreateDirectory(Path.Combine(work, "jobs-" + name)).FullName,
};

// The latency of one event, events one at a time, each after the previous gate completed (--rate 0, the default), or at a
// steady rate (--rate N per second). Timed twice: soon after the start (after a backlog of 50 gates; reported as
// information), then in the steady state the table's row is about, once --warmup gates in all have run: a fresh process
// runs its code unoptimised at first and compiles it again, optimised, once it is in use (tiered compilation), and a
// service gating for weeks spends almost all its time in the second state.
async Task<(double P50, double P99)> LatencyAsync(Func<MutationCompleted, Task> publish, GateWatch watch, string sitesRoot, string stack, bool inThisProcess)
{
    var early = Math.Min(50, options.Warmup);
    await BacklogAsync(publish, watch, StubMutations(early, sitesRoot));
    var (soonP50, soonP99) = await SampleLatencyAsync(publish, watch, sitesRoot, inThisProcess);
    report.Info($"event -> request soon after the start ({stack}; {early} gates in), p99", $"{soonP99:0.0} ms (p50 {soonP50:0.0})");
    if (options.Warmup > early)
    {
        await BacklogAsync(publish, watch, StubMutations(options.Warmup - early, sitesRoot));
        // The last of the warm-up's methods are compiled again in the background, at most 100 ms after their last call.
        await Task.Delay(TimeSpan.FromSeconds(2));
    }

    return await SampleLatencyAsync(publish, watch, sitesRoot, inThisProcess);
}

// One set of timed events; with the service in this process (the embedded stack), also this process's GCs meanwhile.
async Task<(double P50, double P99)> SampleLatencyAsync(Func<MutationCompleted, Task> publish, GateWatch watch, string sitesRoot, bool inThisProcess)
{
    var entries = new List<GateWatch.Entry>();
    var (pauseBefore, collectionsBefore) = (GC.GetTotalPauseDuration(), GC.CollectionCount(0));
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < options.Samples; i++)
    {
        if (options.Rate > 0 && TimeSpan.FromSeconds(i / options.Rate) is var due && due > clock.Elapsed)
        {
            await Task.Delay(due - clock.Elapsed);
        }

        var mutation = StubMutation(sitesRoot);
        var entry = watch.Track(mutation.EnvironmentId);
        entries.Add(entry);
        await publish(mutation);
        if (options.Rate <= 0)
        {
            await entry.GateAsync(TimeSpan.FromSeconds(120));
        }
    }

    var latencies = (await Task.WhenAll(entries.Select(e => e.RequestLatencyAsync(TimeSpan.FromSeconds(60))))).Select(l => l.TotalMilliseconds).Order().ToList();
    await Task.WhenAll(entries.Select(e => e.GateAsync(TimeSpan.FromSeconds(120))));
    var (p50, p99) = (Percentile(latencies, 0.50), Percentile(latencies, 0.99));
    output.WriteLine($"  {latencies.Count} latencies (ms): p50 {p50:0.0}, p90 {Percentile(latencies, 0.90):0.0}, " +
        $"the five longest {string.Join(", ", latencies.TakeLast(5).Select(l => l.ToString("0.0", CultureInfo.InvariantCulture)))}" +
        (inThisProcess ? $"; {GC.CollectionCount(0) - collectionsBefore} GCs in this process meanwhile, {(GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds:0} ms paused" : ""));
    return (p50, p99);
}

async Task<(TimeSpan Elapsed, int NotPassed)> BacklogAsync(Func<MutationCompleted, Task> publish, GateWatch watch, IReadOnlyList<MutationCompleted> mutations)
{
    var entries = new List<GateWatch.Entry>();
    foreach (var mutation in mutations)
    {
        entries.Add(watch.Track(mutation.EnvironmentId));
        await publish(mutation);
    }

    var limit = TimeSpan.FromMinutes(5);
    var results = await Task.WhenAll(entries.Select(async e => (await e.Completed.Task.WaitAsync(limit))));
    return (results.Max(r => r.At) - entries[0].Published, results.Count(r => r.Outcome != GateOutcomes.Passed));
}

async Task<(TimeSpan Duration, string Outcome)> GateAsync(Func<MutationCompleted, Task> publish, GateWatch watch, MutationCompleted mutation)
{
    var entry = watch.Track(mutation.EnvironmentId);
    await publish(mutation);
    return await entry.GateAsync(TimeSpan.FromMinutes(2));
}

List<MutationCompleted> StubMutations(int count, string sitesRoot) => Enumerable.Range(0, count).Select(_ => StubMutation(sitesRoot)).ToList();

MutationCompleted StubMutation(string sitesRoot)
{
    // The stub checks nothing, but the runner refuses a release path that is not a release directory under its root.
    var siteId = Guid.NewGuid();
    var path = Directory.CreateDirectory(Path.Combine(sitesRoot, siteId.ToString(), "releases", "r1")).FullName;
    return new MutationCompleted
    {
        MutationJobId = NewId.NextGuid(),
        JobType = JobTypes.EnvDeploy,
        SiteId = siteId,
        EnvironmentId = Guid.NewGuid(),
        Node = new NodeRef { Id = stubNode, Hostname = "localhost", SshUser = Environment.UserName },
        EnvironmentUrl = "http://127.0.0.1:9/",
        Release = new ReleaseRef { Id = Guid.NewGuid(), Path = path },
        CompletedAt = DateTimeOffset.UtcNow,
    };
}

static MutationCompleted Mutation(LocalSite site, Guid node, Uri url, ReleaseRef release, ReleaseRef? previous) => new()
{
    MutationJobId = NewId.NextGuid(),
    JobType = JobTypes.EnvDeploy,
    SiteId = site.SiteId,
    EnvironmentId = site.EnvironmentId,
    Node = new NodeRef { Id = node, Hostname = "localhost", SshUser = Environment.UserName },
    EnvironmentUrl = url.ToString(),
    Release = release,
    PreviousRelease = previous,
    CompletedAt = DateTimeOffset.UtcNow,
};

static void Expect(string outcome, string expected)
{
    if (outcome != expected)
    {
        throw new InvalidOperationException($"a gate ended {outcome}, expected {expected}; see the service log in the work folder");
    }
}

static double Median(List<double> values) => Percentile(values.Order().ToList(), 0.5);

static double Percentile(IReadOnlyList<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
