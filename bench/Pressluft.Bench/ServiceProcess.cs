using System.Diagnostics;
using System.Globalization;

namespace Pressluft.Bench;

/// <summary>
/// The service as it is deployed: the built <c>pressluft run</c> in a process of its own (so <c>ps</c> sees only its
/// memory), configured through environment variables, with its background services and HTTP surface on. Its standard
/// output goes to a log file in the bench's work folder.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly int _httpPort;

    private ServiceProcess(Process process, StreamWriter log, int httpPort)
    {
        _process = process;
        _log = log;
        _httpPort = httpPort;
    }

    public int Pid => _process.Id;

    /// <summary>
    /// Applies the migrations with <c>pressluft migrate</c>, then starts <c>pressluft run</c>: the order docs/install.md
    /// gives, so the service starts on a migrated ledger as it does on every start but the first after an upgrade.
    /// </summary>
    public static async Task<ServiceProcess> StartAsync(string executable, string logFile, int httpPort, IReadOnlyDictionary<string, string> settings)
    {
        var migrate = Start(executable, "migrate", httpPort, settings);
        var migrateOutput = migrate.StandardOutput.ReadToEndAsync();
        var migrateErrors = migrate.StandardError.ReadToEndAsync();
        await migrate.WaitForExitAsync();
        await File.WriteAllTextAsync(logFile, await migrateOutput + await migrateErrors);
        if (migrate.ExitCode != 0)
        {
            throw new InvalidOperationException($"pressluft migrate exited {migrate.ExitCode}; see {logFile}");
        }

        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        var process = Start(executable, "run", httpPort, settings);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceProcess(process, log, httpPort);
        await service.WaitReadyAsync(logFile);
        return service;
    }

    private static Process Start(string executable, string verb, int httpPort, IReadOnlyDictionary<string, string> settings)
    {
        var start = new ProcessStartInfo(executable, [verb])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        start.Environment["Pressluft__Http__Url"] = $"http://127.0.0.1:{httpPort}";
        // As deploy/pressluft.service runs it, unless the bench's own environment sets one (to try another value).
        foreach (var (name, value) in UnitRuntimeSettings.Value)
        {
            start.Environment.TryAdd(name, value);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable} {verb}");
    }

    /// <summary>
    /// The runtime settings of deploy/pressluft.service (its <c>Environment=DOTNET_…</c> and <c>MALLOC_…</c> lines), read
    /// from the copy built into the bench, so the two cannot drift apart.
    /// </summary>
    private static readonly Lazy<IReadOnlyList<(string Name, string Value)>> UnitRuntimeSettings = new(() =>
    {
        using var unit = typeof(ServiceProcess).Assembly.GetManifestResourceStream("pressluft.service")
                         ?? throw new InvalidOperationException("deploy/pressluft.service is not built into the bench");
        using var reader = new StreamReader(unit);
        return reader.ReadToEnd().Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.StartsWith("Environment=DOTNET_", StringComparison.Ordinal) || line.StartsWith("Environment=MALLOC_", StringComparison.Ordinal))
            .Select(line => line["Environment=".Length..].Split('=', 2))
            .Select(pair => (pair[0], pair[1]))
            .ToList();
    });

    private async Task WaitReadyAsync(string logFile)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var limit = Stopwatch.StartNew();
        while (limit.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"pressluft run exited {_process.ExitCode}; see {logFile}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{_httpPort}/health/ready"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"pressluft run not ready in 90 s; see {logFile}");
    }

    /// <summary>Resident set size as <c>ps</c> reports it, in MiB.</summary>
    public double RssMiB()
    {
        var ps = Process.Start(new ProcessStartInfo("ps", ["-o", "rss=", "-p", Pid.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var text = ps.StandardOutput.ReadToEnd().Trim();
        ps.WaitForExit();
        return double.Parse(text, CultureInfo.InvariantCulture) / 1024;
    }

    /// <summary>
    /// Bytes the service has allocated on the managed heap since it started, from the runtime's own counter on its
    /// <c>/metrics</c>. Unlike CPU time it hardly depends on what else the machine runs, so it shows a change in the
    /// work per message that one run's CPU figure, shared with PostgreSQL and RabbitMQ on two cores, cannot.
    /// </summary>
    public async Task<double> AllocatedBytesAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{_httpPort}/metrics"));
        foreach (var line in metrics.Split('\n'))
        {
            // name{labels} value [timestamp]; its labels hold no spaces.
            if (line.StartsWith("dotnet_gc_heap_total_allocated", StringComparison.Ordinal))
            {
                return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("the service's /metrics has no dotnet_gc_heap_total_allocated");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM, as systemd stops it; killed when it does not stop in time.
            Process.Start("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)])?.WaitForExit();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        await _log.DisposeAsync();
    }
}
