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
/// A run can outlive its callers (each host is reported as soon as it is done, while the playbook still finishes), so
/// disposing the runner, when the service stops, stops every run still going and waits for it: the service never
/// exits leaving a playbook behind.
/// </summary>
public sealed class AnsiblePlaybookRunner(IOptionsMonitor<AnsibleOptions> options, ILogger<AnsiblePlaybookRunner> logger) : IAsyncDisposable, IDisposable
{
    /// <summary>The stdout callback the runner reads.</summary>
    public const string ResultCallback = "pressluft.gate.json_lines";

    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    // How long the launcher gets to kill everything it started before the runner kills the tree itself.
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stopping = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Task<int?>, bool> _running = new();

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
        var workDirectory = JobFolders.Create(settings, run.Hosts[0].JobId);
        try
        {
            var (inventoryPath, extraVarsPath) = WriteJobFolder(run, settings, workDirectory);
            var progress = new PlaybookProgress(run, hostDone);
            var command = LauncherCommand(run, settings, ansibleDirectory, playbook, workDirectory, inventoryPath, extraVarsPath)
                .WithStandardOutputPipe(PipeTarget.ToDelegate(line => Log(jobIds, progress.StandardOutput(line))))
                .WithStandardErrorPipe(PipeTarget.ToDelegate(line => Log(jobIds, progress.StandardError(line))));

            logger.LogInformation("Jobs {JobIds}: running {Playbook} against {Node} (timeout {Timeout})",
                jobIds, run.Playbook, string.Join(", ", run.Hosts.Select(h => h.Node.Hostname).Distinct()), run.Timeout);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
            var execution = ExecuteAsync(command, run.Timeout, stop.Token);
            _running.TryAdd(execution, true);
            int? exitCode;
            try
            {
                exitCode = await execution;
            }
            finally
            {
                _running.TryRemove(execution, out _);
            }

            var outcome = progress.Finish(exitCode, timedOut: exitCode is null && !stop.IsCancellationRequested);
            logger.Log(outcome.ExitCode == 0 ? LogLevel.Information : LogLevel.Warning,
                "Jobs {JobIds}: {Playbook} finished in {DurationMs} ms: {Outcome}",
                jobIds, run.Playbook, (long)outcome.Duration.TotalMilliseconds,
                outcome.TimedOut ? $"killed after {run.Timeout}" : exitCode is null ? "stopped" : $"exit {exitCode}");
            cancellationToken.ThrowIfCancellationRequested();
            return outcome;
        }
        finally
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
    }

    /// <summary>Stops every run still going (as a timeout does) and waits until their processes are gone.</summary>
    /// <remarks>A run started after this is stopped at once.</remarks>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        var running = _running.Keys.ToList();
        if (running.Count == 0)
        {
            return;
        }

        logger.LogInformation("Stopping {Count} playbook runs still going", running.Count);
        try
        {
            // ExecuteAsync ends by itself within StopGrace of being stopped (the tree is killed then); the rest is margin.
            await Task.WhenAll(running).WaitAsync(StopGrace + StopGrace);
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

    // ansible-playbook through the launcher, as an argument list.
    private static Command LauncherCommand(PlaybookRun run, AnsibleOptions settings, string ansibleDirectory, string playbook, string workDirectory,
        string inventoryPath, string extraVarsPath) =>
        Cli.Wrap(settings.ResolvePythonPath())
            .WithArguments([
                // Isolated and without site packages: the launcher needs the standard library only.
                "-I", "-S", Path.Combine(ansibleDirectory, "playbook-launcher.py"),
                settings.AnsiblePlaybookPath, "-i", inventoryPath, "-e", "@" + extraVarsPath,
                "--forks", run.Hosts.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), playbook,
            ])
            .WithWorkingDirectory(workDirectory)
            .WithEnvironmentVariables(env => env
                .Set("ANSIBLE_CONFIG", Path.Combine(ansibleDirectory, "ansible.cfg"))
                .Set("ANSIBLE_STDOUT_CALLBACK", ResultCallback)
                .Set("ANSIBLE_LOCAL_TEMP", Path.Combine(workDirectory, "tmp"))
                .Set("ANSIBLE_NOCOLOR", "1")
                .Set("ANSIBLE_FORCE_COLOR", "0"))
            // The launcher's standard input stays open, unwritten, for as long as this process lives: when it
            // closes (this process died), the launcher kills the playbook.
            .WithStandardInputPipe(PipeSource.Create(async (_, token) => await Task.Delay(Timeout.Infinite, token)))
            .WithValidation(CommandResultValidation.None);

    // Runs the command until it exits (its exit code) or the timeout or cancellation stops it (null): the launcher is
    // asked to stop first and kills everything it started; StopGrace later CliWrap kills the whole tree itself.
    private static async Task<int?> ExecuteAsync(Command command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(timeout);
        using var kill = new CancellationTokenSource();
        await using var killLater = stop.Token.Register(() => kill.CancelAfter(StopGrace));
        try
        {
            var result = await command.ExecuteAsync(kill.Token, stop.Token);
            return result.ExitCode;
        }
        catch (OperationCanceledException)
        {
            // The launcher has killed ansible-playbook and everything below it (or CliWrap the whole tree).
            return null;
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
