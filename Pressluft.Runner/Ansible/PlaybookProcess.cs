using System.Text;
using CliWrap;

namespace Pressluft.Runner.Ansible;

/// <summary>
/// One started <c>playbook-launcher.py</c> and what it runs. Its output lines go to whoever the process is given to
/// (<see cref="Attach"/>); lines printed before that are kept and handed over first. A preloaded process
/// (<see cref="StartPreloaded"/>) is started before its job is known and waits for its arguments
/// (<see cref="Release"/>); a new one (<see cref="Start"/>) has them on its command line. <see cref="Stop"/> asks the
/// launcher to kill everything it started (SIGINT); <see cref="StopGrace"/> later the whole process tree is killed.
/// </summary>
internal sealed class PlaybookProcess : IDisposable
{
    /// <summary>How long the launcher gets to kill everything it started before the tree is killed.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The launcher's exit code when a preloaded ansible-playbook exited before it took its arguments; it also prints
    /// <see cref="NotStartedLine"/> on standard error then, so that a playbook's own exit code 75 is not taken for it.
    /// </summary>
    public const int NotStartedExitCode = 75;

    /// <summary>What the launcher prints when the program exited before it took its arguments.</summary>
    public const string NotStartedLine = "playbook-launcher: the program exited before it took its arguments";

    // Output of a process not yet given to a run (Ansible's warnings at start-up, an import error): kept, up to this.
    private const int MaxEarlyLines = 200;

    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<string> _arguments = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly List<(string Line, bool Error)> _early = [];
    private Action<string, bool>? _target;

    private PlaybookProcess(string workDirectory, PreloadKey? key)
    {
        WorkDirectory = workDirectory;
        Key = key;
    }

    /// <summary>The job folder the process runs in (its working directory and Ansible's local temp folder).</summary>
    public string WorkDirectory { get; }

    /// <summary>What a preloaded process was started with; null for a new one.</summary>
    public PreloadKey? Key { get; }

    /// <summary>The launcher's exit code; null when it was stopped.</summary>
    public Task<int?> Execution { get; private set; } = Task.FromResult<int?>(null);

    public bool Preloaded => Key is not null;

    // Whether the launcher said the program exited before it took its arguments (NotStartedLine).
    private bool _saidNotStarted;

    /// <summary>
    /// Whether a preloaded process ended without taking its arguments, so nothing of its run happened: the launcher's
    /// exit code 75 together with its line (a playbook's own 75 comes without it).
    /// </summary>
    public bool NeverTookArguments(int? exitCode) => Preloaded && exitCode == NotStartedExitCode && _saidNotStarted;

    /// <summary>Starts <paramref name="command"/>, which already holds its arguments.</summary>
    public static PlaybookProcess Start(Command command, string workDirectory)
    {
        var process = new PlaybookProcess(workDirectory, key: null);
        process._arguments.SetResult("");
        process.Execution = process.ExecuteAsync(command);
        return process;
    }

    /// <summary>Starts <paramref name="command"/> (the launcher with <c>--forward-first-line</c>), to be given its arguments later.</summary>
    public static PlaybookProcess StartPreloaded(Command command, string workDirectory, PreloadKey key)
    {
        var process = new PlaybookProcess(workDirectory, key);
        process.Execution = process.ExecuteAsync(command);
        return process;
    }

    /// <summary>Gives a preloaded process its ansible-playbook arguments; it runs from then on.</summary>
    public void Release(IReadOnlyList<string> arguments)
    {
        _arguments.TrySetResult(System.Text.Json.JsonSerializer.Serialize(arguments));
    }

    /// <summary>Sends every line so far, then every further one, to <paramref name="target"/> (line, is standard error).</summary>
    public void Attach(Action<string, bool> target)
    {
        lock (_gate)
        {
            foreach (var (line, error) in _early)
            {
                target(line, error);
            }

            _early.Clear();
            _target = target;
        }
    }

    /// <summary>The lines printed so far by a process never given to a run.</summary>
    public IReadOnlyList<string> EarlyLines()
    {
        lock (_gate)
        {
            return _early.Select(l => l.Line).ToList();
        }
    }

    /// <summary>Stops the process after <paramref name="timeout"/>.</summary>
    public void StopAfter(TimeSpan timeout) => _stop.CancelAfter(timeout);

    /// <summary>Stops the process now (the launcher kills everything it started); nothing once it is disposed.</summary>
    public void Stop()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Gone and disposed already.
        }
    }

    /// <summary>Stops the process, if it still runs, and waits until it is gone (a failure to start is not thrown again).</summary>
    public async Task EndAsync()
    {
        Stop();
        await ((Task)Execution).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Only once <see cref="Execution"/> has ended.</summary>
    public void Dispose() => _stop.Dispose();

    /// <summary>The standard input the launcher reads: the arguments line, when preloaded, then nothing, kept open.</summary>
    /// <remarks>
    /// It stays open, unwritten, for as long as this process lives: when it closes (this process died), the launcher
    /// kills the playbook.
    /// </remarks>
    private PipeSource StandardInput() => PipeSource.Create(async (stream, token) =>
    {
        var line = await _arguments.Task.WaitAsync(token);
        if (line.Length > 0)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), token);
            await stream.FlushAsync(token);
        }

        // Ended when the process has exited: returned from rather than thrown through CliWrap's pipes (six throws a run).
        await Task.Delay(Timeout.Infinite, token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    });

    private PipeTarget StandardOutput() => PipeTarget.ToDelegate(line => Route(line, error: false));

    private PipeTarget StandardError() => PipeTarget.ToDelegate(line => Route(line, error: true));

    private void Route(string line, bool error)
    {
        Action<string, bool>? target;
        lock (_gate)
        {
            if (error && line == NotStartedLine)
            {
                _saidNotStarted = true;
            }

            target = _target;
            if (target is null && _early.Count < MaxEarlyLines)
            {
                _early.Add((line, error));
            }
        }

        // Outside the lock: standard output and standard error are read side by side, as before a process was handed over.
        target?.Invoke(line, error);
    }

    // Runs until the launcher exits (its exit code) or it is stopped (null): the launcher is asked to stop first and
    // kills everything it started; StopGrace later CliWrap kills the whole tree itself.
    private async Task<int?> ExecuteAsync(Command command)
    {
        await Task.Yield();
        using var kill = new CancellationTokenSource();
        await using var killLater = _stop.Token.Register(() => kill.CancelAfter(StopGrace));
        try
        {
            var result = await command
                .WithStandardInputPipe(StandardInput())
                .WithStandardOutputPipe(StandardOutput())
                .WithStandardErrorPipe(StandardError())
                .ExecuteAsync(kill.Token, _stop.Token);
            return result.ExitCode;
        }
        catch (OperationCanceledException)
        {
            // The launcher has killed ansible-playbook and everything below it (or CliWrap the whole tree).
            return null;
        }
    }
}

/// <summary>
/// What a preloaded ansible-playbook was started with and cannot change afterwards (Ansible reads its configuration
/// when it starts): a run takes it only when the same now.
/// </summary>
internal sealed record PreloadKey(string LauncherPython, string Python, string Program, DateTime ProgramWritten, string AnsibleDirectory,
    DateTime ConfigWritten, string JobsRoot);
