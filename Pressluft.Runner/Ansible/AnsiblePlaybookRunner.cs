using CliWrap;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pressluft.Sagas.Validation;

namespace Pressluft.Runner.Ansible;

/// <summary>
/// Runs one playbook for one or more jobs: a private job folder (0700) with a 0600 YAML inventory (one host per job,
/// its variables as host variables) and a 0600 extra-vars file (the variables the jobs share), both written by
/// <see cref="AnsibleData"/> so Ansible takes every value as data, never as a template. ansible-playbook is started with
/// an argument list (never a shell string) through <c>ansible/playbook-launcher.py</c>, which kills all of it when the
/// runner goes away; at the timeout the launcher is told to stop (SIGINT) and, should it not, the whole process tree is
/// killed. The <c>pressluft.gate.json_lines</c> callback prints each host's results as JSON lines, read as they come
/// (<see cref="PlaybookProgress"/>); a redacted 10 KB output tail is kept, and the folder is removed afterwards.
/// While a run goes, the next run's ansible-playbook is started ahead in a folder of its own and waits, Ansible imported
/// (<c>ansible/playbook-preload.py</c>, <see cref="AnsibleOptions.PreloadAnsiblePlaybook"/>): the next run takes it
/// when it was started as that run would start one, and gives it its arguments; one that died before it took them
/// is replaced by a new process, nothing of the run having happened. A run can outlive its callers (each host is
/// reported as soon as it is done, while the playbook still finishes), so disposing the runner, when the service
/// stops, stops every run still going and waits for it: the service never exits leaving a playbook behind.
/// </summary>
public sealed class AnsiblePlaybookRunner(IOptionsMonitor<AnsibleOptions> options, ILogger<AnsiblePlaybookRunner> logger) : IAsyncDisposable, IDisposable
{
    /// <summary>The stdout callback the runner reads.</summary>
    public const string ResultCallback = "pressluft.gate.json_lines";

    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly CancellationTokenSource _stopping = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Task, bool> _running = new();
    private readonly Lock _spareGate = new();
    private PlaybookProcess? _spare;

    /// <summary>
    /// Runs <paramref name="run"/>; <paramref name="hostDone"/> hears each host's outcome once, as soon as it is known
    /// (before this returns). Cancelling stops the run the same way the timeout does; every host is still reported.
    /// </summary>
    public async Task<PlaybookOutcome> RunAsync(PlaybookRun run, Action<HostOutcome>? hostDone, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var settings = options.CurrentValue;
        var ansibleDirectory = settings.ResolveAnsibleDirectory();
        var playbook = Path.Combine(ansibleDirectory, "playbooks", run.Playbook);
        Validate(run, playbook, ansibleDirectory);

        var jobIds = string.Join(", ", run.Hosts.Select(h => h.JobId));
        var preloadKey = PreloadKeyOf(settings, ansibleDirectory);
        if (TakeSpare(preloadKey) is { } spare)
        {
            if (await RunInAsync(spare, run, settings, ansibleDirectory, playbook, jobIds, preloadKey, hostDone, cancellationToken) is { } outcome)
            {
                return outcome;
            }

            // It died (killed, out of memory) before it took the arguments, so nothing of the run happened yet.
            cancellationToken.ThrowIfCancellationRequested();
            logger.LogWarning("Jobs {JobIds}: the preloaded ansible-playbook had exited before it took the run; starting a new one", jobIds);
        }

        return (await RunInAsync(null, run, settings, ansibleDirectory, playbook, jobIds, preloadKey, hostDone, cancellationToken))!;
    }

    // One run in a preloaded process, or in a new one when null. Null when the preloaded process never took the run.
    private async Task<PlaybookOutcome?> RunInAsync(PlaybookProcess? process, PlaybookRun run, AnsibleOptions settings, string ansibleDirectory, string playbook,
        string jobIds, PreloadKey? preloadKey, Action<HostOutcome>? hostDone, CancellationToken cancellationToken)
    {
        var workDirectory = process?.WorkDirectory ?? JobFolders.Create(settings, run.Hosts[0].JobId);
        try
        {
            var (inventoryPath, extraVarsPath) = WriteJobFolder(run, settings, workDirectory);
            string[] arguments = ["-i", inventoryPath, "-e", "@" + extraVarsPath, "--forks", run.Hosts.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), playbook];
            var progress = new PlaybookProgress(run, hostDone);
            void Output(string line, bool error) => Log(jobIds, error ? progress.StandardError(line) : progress.StandardOutput(line));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
            if (process is null)
            {
                process = PlaybookProcess.Start(LauncherCommand(settings, ansibleDirectory, workDirectory, [settings.AnsiblePlaybookPath, .. arguments]), workDirectory);
                _running.TryAdd(process.Execution, true);
                process.Attach(Output);
            }
            else
            {
                process.Attach(Output);
                process.Release(arguments);
            }

            // Its time limit counts from here on.
            process.StopAfter(run.Timeout);
            logger.LogInformation("Jobs {JobIds}: running {Playbook} against {Node} (timeout {Timeout}; {Start})",
                jobIds, run.Playbook, string.Join(", ", run.Hosts.Select(h => h.Node.Hostname).Distinct()), run.Timeout,
                process.Preloaded ? "preloaded ansible-playbook" : "new ansible-playbook");
            // The next run's ansible-playbook starts now, while this one runs.
            Preload(settings, ansibleDirectory, preloadKey);
            int? exitCode;
            await using (stop.Token.Register(process.Stop))
            {
                exitCode = await process.Execution;
            }

            if (process.NeverTookArguments(exitCode))
            {
                return null;
            }

            var outcome = progress.Finish(exitCode, timedOut: exitCode is null && !stop.IsCancellationRequested) with { Preloaded = process.Preloaded };
            logger.Log(outcome.ExitCode == 0 ? LogLevel.Information : LogLevel.Warning,
                "Jobs {JobIds}: {Playbook} finished in {DurationMs} ms: {Outcome}",
                jobIds, run.Playbook, (long)outcome.Duration.TotalMilliseconds,
                outcome.TimedOut ? $"killed after {run.Timeout}" : exitCode is null ? "stopped" : $"exit {exitCode}");
            cancellationToken.ThrowIfCancellationRequested();
            return outcome;
        }
        finally
        {
            if (process is not null)
            {
                // Ended already, unless something failed before the run could start (a spare must not wait on).
                await process.EndAsync();
                _running.TryRemove(process.Execution, out _);
                process.Dispose();
            }

            RemoveFolder(workDirectory, jobIds);
        }
    }

    /// <summary>Stops every run still going (as a timeout does) and waits until their processes are gone.</summary>
    /// <remarks>A run started after this is stopped at once.</remarks>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (TakeSpare(null) is { } spare)
        {
            Discard(spare, "the runner stops");
        }

        var running = _running.Keys.ToList();
        if (running.Count == 0)
        {
            return;
        }

        logger.LogInformation("Stopping {Count} playbook processes still going", running.Count);
        try
        {
            // A process ends by itself within StopGrace of being stopped (the tree is killed then); the rest is margin.
            await Task.WhenAll(running).WaitAsync(PlaybookProcess.StopGrace + PlaybookProcess.StopGrace);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("{Count} playbook runs did not stop in time", _running.Count);
        }
    }

    /// <summary>The same, for a container disposed synchronously.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static void Validate(PlaybookRun run, string playbook, string ansibleDirectory)
    {
        if (!File.Exists(playbook))
        {
            throw new FileNotFoundException($"Playbook {run.Playbook} not found under {ansibleDirectory}/playbooks", playbook);
        }

        if (run.Hosts.Count == 0 || run.Hosts.Select(h => h.JobId).Distinct().Count() != run.Hosts.Count)
        {
            throw new ArgumentException("A run needs at least one host, and each job at most once", nameof(run));
        }

        foreach (var host in run.Hosts)
        {
            Check(host);
        }
    }

    // The inventory (one host per job) and the shared extra-vars, both private and both written as data.
    private static (string Inventory, string ExtraVars) WriteJobFolder(PlaybookRun run, AnsibleOptions settings, string workDirectory)
    {
        var inventoryPath = Path.Combine(workDirectory, "inventory.yml");
        var extraVarsPath = Path.Combine(workDirectory, "extra-vars.yml");
        WritePrivateFile(inventoryPath, Inventory(run, settings));
        var extraVars = new Dictionary<string, object?>(run.SharedVariables);
        if (settings.Connection != "local" && !string.IsNullOrWhiteSpace(settings.SshPrivateKeyFile))
        {
            extraVars["ansible_ssh_private_key_file"] = settings.SshPrivateKeyFile;
        }

        WritePrivateFile(extraVarsPath, AnsibleData.ToYaml(extraVars));
        return (inventoryPath, extraVarsPath);
    }

    // The launcher, as an argument list, with the environment every run of the folder has; the command after it is
    // ansible-playbook with its arguments, or the preloader (which gets them later).
    private static Command LauncherCommand(AnsibleOptions settings, string ansibleDirectory, string workDirectory, IEnumerable<string> command) =>
        Cli.Wrap(settings.ResolvePythonPath())
            // Isolated and without site packages: the launcher needs the standard library only.
            .WithArguments(["-I", "-S", Path.Combine(ansibleDirectory, "playbook-launcher.py"), .. command])
            .WithWorkingDirectory(workDirectory)
            .WithEnvironmentVariables(env => env
                .Set("ANSIBLE_CONFIG", Path.Combine(ansibleDirectory, "ansible.cfg"))
                .Set("ANSIBLE_STDOUT_CALLBACK", ResultCallback)
                .Set("ANSIBLE_LOCAL_TEMP", Path.Combine(workDirectory, "tmp"))
                .Set("ANSIBLE_NOCOLOR", "1")
                .Set("ANSIBLE_FORCE_COLOR", "0")
                // Not inherited (container images often set it): the Python that runs each module over a local connection
                // would read its piped module one byte per system call, about 0.3 s of CPU per host. Output needs no
                // help: the result callback flushes every line itself.
                .Set("PYTHONUNBUFFERED", null))
            .WithValidation(CommandResultValidation.None);

    // What a preloaded ansible-playbook would be started with now; null when none can be (turned off, or ansible-playbook
    // is not a Python script whose #! line the preloader can follow exactly, such as a stand-in shell script).
    private static PreloadKey? PreloadKeyOf(AnsibleOptions settings, string ansibleDirectory)
    {
        if (!settings.PreloadAnsiblePlaybook || LauncherPython.ScriptOf(settings.AnsiblePlaybookPath) is not var (python, program))
        {
            return null;
        }

        return new PreloadKey(settings.ResolvePythonPath(), python, program, File.GetLastWriteTimeUtc(program), ansibleDirectory,
            File.GetLastWriteTimeUtc(Path.Combine(ansibleDirectory, "ansible.cfg")), JobFolders.Root(settings));
    }

    // The waiting ansible-playbook, when it was started as a run would start one now and still waits; one that would not
    // do is stopped.
    private PlaybookProcess? TakeSpare(PreloadKey? key)
    {
        PlaybookProcess? spare;
        lock (_spareGate)
        {
            spare = _spare;
            _spare = null;
        }

        if (spare is null)
        {
            return null;
        }

        if (key is not null && spare.Key == key && !spare.Execution.IsCompleted)
        {
            // The runner's from now on: one that stops waits for it.
            _running.TryAdd(spare.Execution, true);
            return spare;
        }

        Discard(spare, spare.Execution.IsCompleted ? "it exited while waiting" : "the settings or Ansible changed");
        return null;
    }

    // Starts the next run's ansible-playbook, unless one waits already. A failure here is the next run's to meet (it
    // starts its own); it never fails the run going on.
    private void Preload(AnsibleOptions settings, string ansibleDirectory, PreloadKey? key)
    {
        if (key is null)
        {
            return;
        }

        try
        {
            lock (_spareGate)
            {
                // Checked under the lock: a runner that stops takes the waiting one under it after setting this.
                if (_spare is not null || _stopping.IsCancellationRequested)
                {
                    return;
                }

                var workDirectory = JobFolders.Create(settings, Guid.NewGuid());
                var command = LauncherCommand(settings, ansibleDirectory, workDirectory,
                    ["--forward-first-line", key.Python, Path.Combine(ansibleDirectory, "playbook-preload.py"), key.Program]);
                _spare = PlaybookProcess.StartPreloaded(command, workDirectory, key);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(exception, "Could not preload the next ansible-playbook");
        }
    }

    // Stops a waiting ansible-playbook no run will take, and removes its folder once it is gone.
    private void Discard(PlaybookProcess spare, string why)
    {
        var gone = Task.Run(async () =>
        {
            await spare.EndAsync();
            spare.Dispose();
            var tail = new OutputTail();
            foreach (var line in spare.EarlyLines())
            {
                tail.Append(line);
            }

            if (spare.Execution.Exception is { } failure)
            {
                logger.LogWarning(failure.GetBaseException(), "A preloaded ansible-playbook could not be started");
            }
            else if (spare.Execution.Result is { } exitCode)
            {
                logger.LogWarning("A preloaded ansible-playbook exited (code {ExitCode}) before a run took it: {Output}", exitCode, tail.ToString());
            }
            else
            {
                logger.LogDebug("Preloaded ansible-playbook stopped: {Why}", why);
            }

            RemoveFolder(spare.WorkDirectory, "preloaded");
        });
        _running.TryAdd(gone, true);
        _ = gone.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
    }

    private void RemoveFolder(string workDirectory, string jobIds)
    {
        try
        {
            Directory.Delete(workDirectory, recursive: true);
        }
        catch (IOException exception)
        {
            logger.LogWarning(exception, "Jobs {JobIds}: could not remove {Directory}", jobIds, workDirectory);
        }
    }

    /// <summary>Refuses a host whose node values could break out of the inventory (the field rules the intake applies).</summary>
    public static void Check(PlaybookHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var node = host.Node;
        var problems = new[]
        {
            FieldRules.Hostname("node.hostname", node.Hostname), FieldRules.SshUser("node.sshUser", node.SshUser), FieldRules.Port("node.sshPort", node.SshPort),
        }.OfType<string>().ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"Job {host.JobId} refused: {string.Join("; ", problems)}", nameof(host));
        }
    }

    private void Log(string jobIds, string redactedLine) => logger.LogDebug("Jobs {JobIds} | {Line}", jobIds, redactedLine);

    // One host per job in the [target] group, named by its job id, with the job's variables. Its values pass the field
    // rules and are written like every other variable: as data.
    private static string Inventory(PlaybookRun run, AnsibleOptions settings)
    {
        var hosts = new Dictionary<string, object?>();
        foreach (var job in run.Hosts)
        {
            var host = new Dictionary<string, object?>(job.Variables)
            {
                ["ansible_host"] = job.Node.Hostname,
                ["ansible_port"] = job.Node.SshPort,
                ["ansible_user"] = job.Node.SshUser,
            };
            if (settings.Connection == "local")
            {
                host["ansible_connection"] = "local";
            }

            hosts[job.Alias] = host;
        }

        return AnsibleData.ToYaml(new Dictionary<string, object?>
        {
            ["all"] = new Dictionary<string, object?>
            {
                ["children"] = new Dictionary<string, object?> { ["target"] = new Dictionary<string, object?> { ["hosts"] = hosts } },
            },
        });
    }

    private static void WritePrivateFile(string path, string contents)
    {
        using (var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = PrivateFile }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(contents);
        }

        File.SetUnixFileMode(path, PrivateFile);
    }
}
