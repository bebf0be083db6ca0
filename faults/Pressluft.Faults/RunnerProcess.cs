using System.Diagnostics;
using System.Text;

namespace Pressluft.Faults;

/// <summary>
/// One <c>pressluft run</c> child process, configured through environment variables as an operator would. Everything
/// it starts inherits <see cref="MarkVariable"/> with a value of its own, so what it left behind after a kill -9 can be found.
/// </summary>
internal sealed partial class RunnerProcess : IAsyncDisposable
{
    public const string MarkVariable = "PRESSLUFT_FAULTS_RUNNER";

    private static readonly List<RunnerProcess> Started = [];
    private readonly Process _process;
    private readonly StreamWriter _log;

    private RunnerProcess(Process process, StreamWriter log, string mark, int httpPort)
    {
        _process = process;
        _log = log;
        Mark = mark;
        HttpPort = httpPort;
    }

    public string Mark { get; }
    public int HttpPort { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>Whether the suite ended it (kill -9 or stop); a runner that exited otherwise gave up by itself.</summary>
    public bool EndedBySuite { get; private set; }

    public static RunnerProcess Start(string binary, IReadOnlyDictionary<string, string> settings, int httpPort, string logPath)
    {
        var mark = Guid.NewGuid().ToString("N");
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("run");
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        start.Environment["Pressluft__Http__Url"] = $"http://127.0.0.1:{httpPort}/";
        start.Environment[MarkVariable] = mark;
        var log = new StreamWriter(logPath, append: true, Encoding.UTF8) { AutoFlush = true };
        log.WriteLine($"--- pressluft run started {DateTime.UtcNow:O}");
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var runner = new RunnerProcess(process, log, mark, httpPort);
        lock (Started)
        {
            Started.Add(runner);
        }

        return runner;
    }

    /// <summary>
    /// Kills whatever a scenario started and left running (one cut off by its time limit may not have cleaned up), so
    /// the next scenario starts on a quiet machine.
    /// </summary>
    public static void KillStragglers()
    {
        lock (Started)
        {
            foreach (var runner in Started)
            {
                foreach (var (pid, _) in ProcessTable.Marked(MarkVariable, runner.Mark))
                {
                    ProcessTable.TryKill(pid);
                }
            }

            Started.Clear();
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The runner is gone; its last lines do not matter.
            }
        }
    }

    /// <summary>Waits until the service answers ready (ledger and bus up); false when it exited or did not within the time.</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan within)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                if ((await client.GetAsync($"http://127.0.0.1:{HttpPort}/health/ready")).IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        return false;
    }

    /// <summary>SIGKILL to the runner alone, not its process group: what its playbooks do then is the runner's own doing.</summary>
    public async Task KillAsync()
    {
        EndedBySuite = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGTERM, as systemd stops it; SIGKILL after the grace period.</summary>
    public async Task StopAsync()
    {
        EndedBySuite = true;
        if (_process.HasExited)
        {
            return;
        }

        _ = Kill(_process.Id, 15);
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
            await KillAsync();
        }
    }

    /// <summary>Processes other than the runner itself that carry its mark: what it started and is still running.</summary>
    public IReadOnlyList<string> Descendants() =>
        ProcessTable.Marked(MarkVariable, Mark).Where(p => p.Pid != _process.Id).Select(p => p.CommandLine).ToList();

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (TimeoutException)
        {
            // Reported by the scenario's checks, if anything of it is left.
        }

        foreach (var (pid, _) in ProcessTable.Marked(MarkVariable, Mark))
        {
            ProcessTable.TryKill(pid);
        }

        lock (_log)
        {
            _log.Dispose();
        }

        _process.Dispose();
    }
}
