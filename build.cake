// Build, lint, test and demo the release gate. Run through ./build.sh, which installs what is missing first.
//   ./build.sh                  Build
//   ./build.sh --target=Lint    ansible-playbook --syntax-check and ansible-lint on both playbooks
//   ./build.sh --target=Test    every test; writes TRX and artifacts/test-results/summary.txt
//   ./build.sh --target=Demo    the embedded demo: a failing deploy rolled back
//   ./build.sh --target=Bench   issue 10's performance table: latency, throughput vs pgbench, real-playbook rows, memory
//   ./build.sh --target=Faults  the fault-injection suite (issue 9): eleven faults against real runners, one line each;
//                               writes artifacts/faults/summary.txt. --scale=<n> runs it bigger, --only=<1,2,...> some.

using System.Xml.Linq;

var target = Argument("target", "Build");
var configuration = Argument("configuration", "Release");
var resultsDirectory = MakeAbsolute(Directory("artifacts/test-results"));
var playbooks = GetFiles("ansible/playbooks/*.yml");

Task("Restore")
    .Does(() => DotNetRestore("Pressluft.sln"));

Task("Build")
    .IsDependentOn("Restore")
    .Does(() => DotNetBuild("Pressluft.sln", new DotNetBuildSettings
    {
        Configuration = configuration,
        NoRestore = true,
    }));

Task("Lint")
    .Does(() =>
{
    var environment = new Dictionary<string, string>
    {
        ["ANSIBLE_CONFIG"] = MakeAbsolute(File("ansible/ansible.cfg")).FullPath,
        ["ANSIBLE_HOST_PATTERN_MISMATCH"] = "ignore",
        // The gate's own collection (pressluft.gate). Named down to ansible_collections/: ansible-lint 6 (through
        // ansible-compat) looks in the parent of this path, Ansible accepts either.
        ["ANSIBLE_COLLECTIONS_PATH"] = MakeAbsolute(Directory("ansible/collections/ansible_collections")).FullPath,
    };
    foreach (var playbook in playbooks)
    {
        Run("ansible-playbook", new ProcessArgumentBuilder().Append("--syntax-check").Append("-i").Append("localhost,").AppendQuoted(playbook.FullPath), environment);
    }

    Run("ansible-lint", new ProcessArgumentBuilder().Append("--profile").Append("production").Append("ansible/playbooks"), environment);
});

Task("Test")
    .IsDependentOn("Build")
    .IsDependentOn("Lint")
    .Does(() =>
{
    CleanDirectory(resultsDirectory);
    // Integration tests run against a real PostgreSQL and RabbitMQ: private instances on loopback, installed when
    // missing (fsync off is fine for tests). Both start inside the try, so whatever did start is stopped again.
    try
    {
        var postgres = Capture("scripts/postgres.sh", "start --fsync off");
        var rabbit = Capture("scripts/rabbitmq.sh", "start");
        DotNetTest("Pressluft.sln", new DotNetTestSettings
        {
            Configuration = configuration,
            NoBuild = true,
            NoRestore = true,
            Loggers = new[] { "trx", "console;verbosity=normal" },
            ResultsDirectory = resultsDirectory,
            EnvironmentVariables = new Dictionary<string, string>
            {
                ["PRESSLUFT_TEST_POSTGRES"] = postgres,
                ["PRESSLUFT_TEST_RABBITMQ"] = rabbit,
                ["PRESSLUFT_TEST_RABBITMQ_MANAGEMENT"] = $"http://127.0.0.1:{EnvironmentVariable("PRESSLUFT_RABBIT_MANAGEMENT_PORT") ?? "15680"}/",
            },
        });
    }
    finally
    {
        WriteSummary();
        StopService("scripts/rabbitmq.sh");
        StopService("scripts/postgres.sh");
    }
});

Task("Faults")
    .IsDependentOn("Build")
    .Does(() =>
{
    var faultsDirectory = MakeAbsolute(Directory("artifacts/faults"));
    CleanDirectory(faultsDirectory);
    // Like Test: both services start inside the try, so whatever did start is stopped again, whatever failed.
    try
    {
        var postgres = Capture("scripts/postgres.sh", "start --fsync off");
        var rabbit = Capture("scripts/rabbitmq.sh", "start");
        var arguments = new ProcessArgumentBuilder().Append("--results").AppendQuoted(faultsDirectory.FullPath)
            .Append("--scale").Append(Argument("scale", "1"));
        if (HasArgument("only"))
        {
            arguments.Append("--only").Append(Argument<string>("only"));
        }

        // Each scenario has a hard limit of its own; this one only guards against the suite itself hanging.
        var exitCode = StartProcess("timeout", new ProcessSettings
        {
            Arguments = new ProcessArgumentBuilder().Append("-k").Append("30").Append("1800")
                .AppendQuoted(MakeAbsolute(File($"faults/Pressluft.Faults/bin/{configuration}/net10.0/pressluft-faults")).FullPath)
                .Append(arguments.Render()),
            EnvironmentVariables = new Dictionary<string, string>
            {
                ["PRESSLUFT_TEST_POSTGRES"] = postgres,
                ["PRESSLUFT_TEST_RABBITMQ"] = rabbit,
                ["PRESSLUFT_TEST_RABBITMQ_MANAGEMENT"] = $"http://127.0.0.1:{EnvironmentVariable("PRESSLUFT_RABBIT_MANAGEMENT_PORT") ?? "15680"}/",
            },
        });
        if (exitCode != 0)
        {
            throw new CakeException($"the fault-injection suite exited {exitCode}: {System.IO.File.ReadAllText($"{faultsDirectory}/summary.txt").Trim()}");
        }
    }
    finally
    {
        StopService("scripts/rabbitmq.sh");
        StopService("scripts/postgres.sh");
    }
});

Task("Demo")
    .IsDependentOn("Build")
    .Does(() => DotNetRun("Pressluft.Runner/Pressluft.Runner.csproj", new ProcessArgumentBuilder().Append("demo"), new DotNetRunSettings
    {
        Configuration = configuration,
        NoBuild = true,
        NoRestore = true,
    }));

Task("Bench")
    .IsDependentOn("Build")
    .Does(() =>
{
    // The bench's own PostgreSQL (fsync on: a benchmark needs durable commits) and RabbitMQ, apart from the test
    // services unless the PRESSLUFT_* variables say otherwise. Whatever this target started it stops again, whatever
    // happens; a service that was already running is left running.
    var bench = MakeAbsolute(File($"bench/Pressluft.Bench/bin/{configuration}/net10.0/Pressluft.Bench.dll"));
    var service = MakeAbsolute(File($"Pressluft.Runner/bin/{configuration}/net10.0/pressluft"));
    foreach (var built in new[] { bench, service }.Where(file => !FileExists(file)))
    {
        // With --exclusive nothing is built first; a missing build must not read as a row that missed.
        throw new CakeException($"{built.FullPath} is not built: run ./build.sh --target=Bench without --exclusive once");
    }

    var services = new Dictionary<string, string>
    {
        ["PRESSLUFT_SERVICES_DIR"] = EnvironmentVariable("PRESSLUFT_SERVICES_DIR") ?? "/tmp/pressluft-bench-services",
        ["PRESSLUFT_PG_PORT"] = EnvironmentVariable("PRESSLUFT_PG_PORT") ?? "55472",
        ["PRESSLUFT_RABBIT_PORT"] = EnvironmentVariable("PRESSLUFT_RABBIT_PORT") ?? "56762",
        ["PRESSLUFT_RABBIT_MANAGEMENT_PORT"] = EnvironmentVariable("PRESSLUFT_RABBIT_MANAGEMENT_PORT") ?? "15762",
    };
    var started = new List<string>();
    // Every process the bench starts inherits this mark (pressluft migrate and run, pgbench): what a bench killed mid-run
    // leaves running is found by it and stopped below.
    var benchRun = Guid.NewGuid().ToString("N");
    try
    {
        var postgres = StartOwnService("scripts/postgres.sh", "start --fsync on", services, started);
        var rabbit = StartOwnService("scripts/rabbitmq.sh", "start", services, started);
        var arguments = new ProcessArgumentBuilder()
            .Append("--postgres").AppendQuoted(postgres)
            .Append("--rabbitmq").AppendQuoted(rabbit)
            .Append("--service").AppendQuoted(service.FullPath)
            .Append("--ansible").AppendQuoted(MakeAbsolute(Directory("ansible")).FullPath)
            .Append("--http-port").Append(Argument("http-port", "8600"));
        // Sizes: ./build.sh --target=Bench --gates=400 --samples=200 --warmup=400 --rate=0 --playbook-runs=5 --rollback-runs=3 --fleet=100 --pgbench-seconds=15
        foreach (var size in new[] { "gates", "samples", "warmup", "rate", "playbook-runs", "rollback-runs", "fleet", "pgbench-seconds", "phases", "keep-work" })
        {
            if (HasArgument(size))
            {
                arguments.Append($"--{size}").Append(Argument<string>(size));
            }
        }

        var exitCode = StartProcess("dotnet", new ProcessSettings
        {
            Arguments = new ProcessArgumentBuilder().AppendQuoted(bench.FullPath)
                .Append(arguments.Render()),
            EnvironmentVariables = new Dictionary<string, string> { ["PRESSLUFT_BENCH_RUN"] = benchRun },
        });
        // Exit 1 means a row missed its target: the table says which, and that is the bench's result, not an error. Any
        // other code is a bench that did not run or stopped early (2: refused its arguments; a crash: its exception).
        if (exitCode is not (0 or 1))
        {
            throw new CakeException($"the bench did not finish (exit {exitCode}); see its output above");
        }

        Information(exitCode == 0 ? "every row reached its target" : "some rows missed their target (see the table)");
    }
    finally
    {
        StopProcessesMarked($"PRESSLUFT_BENCH_RUN={benchRun}");

        foreach (var script in Enumerable.Reverse(started))
        {
            if (StartProcess(script, new ProcessSettings { Arguments = "stop", EnvironmentVariables = services }) != 0)
            {
                Warning($"{script} stop failed");
            }
        }
    }
});

RunTarget(target);

void Run(string tool, ProcessArgumentBuilder arguments, IDictionary<string, string> environment)
{
    var exitCode = StartProcess(tool, new ProcessSettings { Arguments = arguments, EnvironmentVariables = environment });
    if (exitCode != 0)
    {
        throw new CakeException($"{tool} {arguments.Render()} exited {exitCode}");
    }
}

string Capture(string tool, string arguments)
{
    var exitCode = StartProcess(tool, new ProcessSettings { Arguments = arguments, RedirectStandardOutput = true }, out var output);
    if (exitCode != 0)
    {
        throw new CakeException($"{tool} {arguments} exited {exitCode}");
    }

    return string.Join("\n", output).Trim();
}

// Stopping is best effort: a failure to stop one service must not keep the other running.
void StopService(string script)
{
    if (StartProcess(script, new ProcessSettings { Arguments = "stop" }) != 0)
    {
        Warning($"{script} stop failed");
    }
}

// One plain line CI can read, summed over every test project's TRX file; and failures.txt, each failed test's name
// with the head of its message, because CI keeps only the end of a long log and the console's report of a failure is
// far above it.
void WriteSummary()
{
    long passed = 0, failed = 0, skipped = 0;
    var failures = new List<string>();
    foreach (var trx in GetFiles($"{resultsDirectory}/*.trx"))
    {
        var document = XDocument.Load(trx.FullPath);
        var counters = document.Descendants().First(e => e.Name.LocalName == "Counters");
        long Count(string name) => long.Parse(counters.Attribute(name)?.Value ?? "0");
        passed += Count("passed");
        failed += Count("failed") + Count("error") + Count("timeout") + Count("aborted");
        skipped += Count("notExecuted");
        var classes = document.Descendants().Where(e => e.Name.LocalName == "UnitTest").ToDictionary(
            e => e.Attribute("id")?.Value ?? "",
            e => e.Descendants().FirstOrDefault(m => m.Name.LocalName == "TestMethod")?.Attribute("className")?.Value ?? "");
        foreach (var result in document.Descendants().Where(e => e.Name.LocalName == "UnitTestResult"))
        {
            var outcome = result.Attribute("outcome")?.Value;
            if (outcome is "Passed" or "NotExecuted")
            {
                continue;
            }

            var message = result.Descendants().FirstOrDefault(e => e.Name.LocalName == "Message")?.Value ?? "";
            var head = string.Join("\n", message.TrimEnd().Split('\n').Take(12).Select(l => "    " + l.TrimEnd()));
            var testClass = classes.GetValueOrDefault(result.Attribute("testId")?.Value ?? "", "");
            failures.Add($"{outcome}: {testClass}.{result.Attribute("testName")?.Value}\n{head}");
        }
    }

    var line = $"{passed} passed, {failed} failed, {skipped} skipped";
    System.IO.File.WriteAllText($"{resultsDirectory}/failures.txt", string.Join("\n", failures) + (failures.Count > 0 ? "\n" : ""));
    System.IO.File.WriteAllText($"{resultsDirectory}/summary.txt", line + "\n");
    Information(line);
    if (passed + failed + skipped == 0)
    {
        throw new CakeException("No test ran.");
    }
}

// A bench that was killed, or crashed, leaves the processes it started running (its pressluft run above all): each
// carries the bench run's mark (NAME=value) in its environment, found here through /proc and stopped with everything
// it started.
void StopProcessesMarked(string mark)
{
    if (!System.IO.Directory.Exists("/proc"))
    {
        return;
    }

    foreach (var folder in System.IO.Directory.GetDirectories("/proc"))
    {
        if (!int.TryParse(System.IO.Path.GetFileName(folder), out var pid) || pid == Environment.ProcessId)
        {
            continue;
        }

        try
        {
            if (!System.IO.File.ReadAllText(System.IO.Path.Combine(folder, "environ")).Split('\0').Contains(mark))
            {
                continue;
            }

            using var leftover = System.Diagnostics.Process.GetProcessById(pid);
            Warning($"stopping process {pid} ({leftover.ProcessName}), which the bench started and left running");
            leftover.Kill(entireProcessTree: true);
            leftover.WaitForExit(10_000);
        }
        catch (Exception exception) when (exception is System.IO.IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            // Gone meanwhile, or not ours to read.
        }
    }
}

// Starts a service for the bench unless it is already running; a service it started is remembered so it is stopped.
string StartOwnService(string script, string arguments, IDictionary<string, string> environment, List<string> started)
{
    var running = StartProcess(script, new ProcessSettings { Arguments = "status", EnvironmentVariables = environment, RedirectStandardOutput = true }) == 0;
    if (!running)
    {
        started.Add(script);
    }

    var exitCode = StartProcess(script, new ProcessSettings { Arguments = arguments, EnvironmentVariables = environment, RedirectStandardOutput = true }, out var output);
    if (exitCode != 0)
    {
        throw new CakeException($"{script} {arguments} exited {exitCode}");
    }

    return string.Join("\n", output).Trim();
}
