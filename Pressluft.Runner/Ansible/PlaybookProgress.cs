using System.Diagnostics;
using System.Text.Json;

namespace Pressluft.Runner.Ansible;

/// <summary>
/// Follows one run's output: the <c>pressluft.gate.json_lines</c> callback prints one JSON line per task result on
/// standard output, naming the host. Each host's results are kept apart; a host is done when its run's final action
/// returned, or a task failed or could not reach it, or its recap arrived (every play is over, handlers included: what
/// is left is ansible-playbook's own exit, a tenth of a second or more), and its outcome is reported at once. The rest
/// is reported when the run ends. Every line goes into the run's output tail; a host's tail holds its own result lines and every line that
/// names no host (warnings, errors), all redacted.
/// </summary>
internal sealed class PlaybookProgress
{
    private readonly Lock _gate = new();
    private readonly PlaybookRun _run;
    private readonly Action<HostOutcome>? _hostDone;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly OutputTail _tail = new();
    private readonly List<HostState> _hosts;
    private readonly Dictionary<string, HostState> _byAlias;

    public PlaybookProgress(PlaybookRun run, Action<HostOutcome>? hostDone)
    {
        _run = run;
        _hostDone = hostDone;
        _hosts = run.Hosts.Select(h => new HostState(h)).ToList();
        _byAlias = _hosts.ToDictionary(h => h.Host.Alias, StringComparer.Ordinal);
    }

    /// <summary>Takes one line of standard output; returns it redacted, for the log.</summary>
    public string StandardOutput(string line)
    {
        HostOutcome? done = null;
        string redacted;
        lock (_gate)
        {
            redacted = _tail.Append(line);
            if (Parse(line) is { } parsed && _byAlias.TryGetValue(parsed.Host, out var host))
            {
                host.Tail.Append(line);
                if (parsed.Result is { } result && !host.Done)
                {
                    host.Results.Add(result);
                    done = EndsHost(result) ? Streamed(host, StatusOf(result.Status)) : null;
                }
                else if (parsed.Recap is { } recap && !host.Done && host.Results.Count > 0)
                {
                    // As ansible-playbook counts a run, and never better than the host's own results: these playbooks
                    // rescue and ignore no failure.
                    done = Streamed(host, StatusOf(host, recap.Unreachable > 0, recap.Failed > 0));
                }
            }
            else
            {
                AppendToAll(line);
            }
        }

        if (done is not null)
        {
            _hostDone?.Invoke(done);
        }

        return redacted;
    }

    /// <summary>Takes one line of standard error (Ansible's warnings and errors); returns it redacted.</summary>
    public string StandardError(string line)
    {
        lock (_gate)
        {
            AppendToAll(line);
            return _tail.Append(line);
        }
    }

    /// <summary>Reports every host not yet done, with how the run ended, and returns the whole run's outcome.</summary>
    public PlaybookOutcome Finish(int? exitCode, bool timedOut)
    {
        var reported = new List<HostOutcome>();
        PlaybookOutcome outcome;
        lock (_gate)
        {
            foreach (var host in _hosts.Where(h => !h.Done))
            {
                host.Done = true;
                host.Outcome = new HostOutcome
                {
                    JobId = host.Host.JobId,
                    Status = StatusOf(host, countedUnreachable: false, countedFailed: false),
                    Results = host.Results.ToList(),
                    ExitCode = exitCode,
                    TimedOut = timedOut,
                    OutputTail = host.Tail.ToString(),
                    Duration = _clock.Elapsed,
                };
                reported.Add(host.Outcome);
            }

            outcome = new PlaybookOutcome
            {
                ExitCode = exitCode,
                TimedOut = timedOut,
                OutputTail = _tail.ToString(),
                Duration = _clock.Elapsed,
                Hosts = _hosts.Select(h => h.Outcome!).ToList(),
            };
        }

        foreach (var host in reported)
        {
            _hostDone?.Invoke(host);
        }

        return outcome;
    }

    // Only with a final action does a host end before the run: a failure (no rescue in these playbooks, so the host
    // runs nothing more), an unreachable node, or the final action's result.
    private bool EndsHost(TaskResult result) =>
        _run.FinalAction is { } final && (result.Status is "failed" or "unreachable" || (result.Action == final && result.Status == "ok"));

    // A host's status from all its results, or worse when the run counted it unreachable or failed: an unreachable host
    // before a failed one, as ansible-playbook counts them.
    private static HostStatus StatusOf(HostState host, bool countedUnreachable, bool countedFailed) =>
        countedUnreachable || host.Results.Any(r => r.Status == "unreachable") ? HostStatus.Unreachable
        : countedFailed || host.Results.Any(r => r.Status == "failed") ? HostStatus.Failed
        : host.Results.Count > 0 ? HostStatus.Ok : HostStatus.NoResult;

    private static HostStatus StatusOf(string resultStatus) => resultStatus switch
    {
        "ok" => HostStatus.Ok,
        "unreachable" => HostStatus.Unreachable,
        _ => HostStatus.Failed,
    };

    private HostOutcome Streamed(HostState host, HostStatus status)
    {
        host.Done = true;
        host.Outcome = new HostOutcome
        {
            JobId = host.Host.JobId,
            Status = status,
            Results = host.Results.ToList(),
            ExitCode = status switch
            {
                HostStatus.Ok => 0,
                HostStatus.Unreachable => 4,
                _ => 2,
            },
            Streamed = true,
            OutputTail = host.Tail.ToString(),
            Duration = _clock.Elapsed,
        };
        return host.Outcome;
    }

    private void AppendToAll(string line)
    {
        foreach (var host in _hosts)
        {
            host.Tail.Append(line);
        }
    }

    private static ParsedLine? Parse(string line)
    {
        if (!line.StartsWith('{'))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("host", out var host) || host.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("event", out var kind))
            {
                return null;
            }

            TaskResult? result = null;
            Recap? recap = null;
            if (kind.ValueEquals("recap"))
            {
                recap = new Recap(Count(root, "failed"), Count(root, "unreachable"));
            }
            else if (kind.ValueEquals("result"))
            {
                result = new TaskResult(
                    Text(root, "task"),
                    Text(root, "action"),
                    Text(root, "status"),
                    root.TryGetProperty("result", out var value) ? value.Clone() : default);
            }

            return new ParsedLine(host.GetString()!, result, recap);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    // A count the callback printed; an unreadable one counts as a failure, so no run is taken for ok by mistake.
    private static int Count(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var count) ? count : 1;

    private sealed record ParsedLine(string Host, TaskResult? Result, Recap? Recap);

    private sealed record Recap(int Failed, int Unreachable);

    private sealed class HostState(PlaybookHost host)
    {
        public PlaybookHost Host { get; } = host;
        public OutputTail Tail { get; } = new();
        public List<TaskResult> Results { get; } = [];
        public bool Done { get; set; }
        public HostOutcome? Outcome { get; set; }
    }
}
