using System.Diagnostics;
using Pressluft.Runner.Commands;
using Spectre.Console;

namespace Pressluft.Runner.Reporting;

/// <summary>
/// Follows one gate in the ledger and prints each step as it is recorded, with the time since publishing; while a
/// playbook runs, a spinner (on a terminal) or a line every few seconds (in a log) shows how long it has been running.
/// Works the same whichever process runs the gate.
/// </summary>
public sealed class GateFollower(IAnsiConsole console, LedgerReader ledger, bool quiet)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(5);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly HashSet<string> _printed = [];
    private readonly List<GateStep> _steps = [];

    /// <summary>The steps seen so far, in order.</summary>
    public IReadOnlyList<GateStep> Steps => _steps;

    /// <summary>Follows until the gate ends or <paramref name="timeout"/> passes; returns the last reading.</summary>
    public async Task<GateProgress> FollowAsync(Guid mutationJobId, Guid environmentId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = _clock.Elapsed + timeout;
        if (!quiet && console.Profile.Capabilities.Interactive)
        {
            return await console.Status().Spinner(Spinner.Known.Dots).StartAsync("waiting for the gate to start", status =>
                LoopAsync(mutationJobId, environmentId, deadline, running => status.Status(Markup.Escape(running)), cancellationToken));
        }

        var lastBeat = TimeSpan.Zero;
        return await LoopAsync(mutationJobId, environmentId, deadline, running =>
        {
            if (!quiet && _clock.Elapsed - lastBeat >= Heartbeat)
            {
                lastBeat = _clock.Elapsed;
                Say($"[grey]... {Markup.Escape(running)}[/]");
            }
        }, cancellationToken);
    }

    private async Task<GateProgress> LoopAsync(Guid mutationJobId, Guid environmentId, TimeSpan deadline, Action<string> running, CancellationToken cancellationToken)
    {
        while (true)
        {
            var progress = await ledger.ReadAsync(db => GateProgress.ReadAsync(db, mutationJobId, environmentId, cancellationToken), cancellationToken);
            foreach (var step in progress.Steps.Where(s => _printed.Add(s.Key)))
            {
                _steps.Add(step);
                if (!quiet)
                {
                    Say(Colour(step));
                }
            }

            if (progress.Gate?.Outcome is not null || _clock.Elapsed >= deadline)
            {
                return progress;
            }

            if (progress.Running is { } job && job.FinishedAt is null)
            {
                var since = progress.Steps.LastOrDefault(s => s.Key == $"job:{job.Id}:running")?.At;
                var seconds = since is { } at ? (DateTime.UtcNow - DateTime.SpecifyKind(at, DateTimeKind.Utc)).TotalSeconds : 0;
                running($"{GateProgress.Playbook(job.Type)} running for {Math.Max(0, seconds):0} s (attempt {job.Attempts})");
            }
            else
            {
                running(progress.Gate is null ? "waiting for the gate to start" : "waiting for the next step");
            }

            await Task.Delay(Poll, cancellationToken);
        }
    }

    private void Say(string markup) => console.MarkupLine($"[grey]{_clock.Elapsed.TotalSeconds,6:0.0}s[/] {markup}");

    private static string Colour(GateStep step) => step.Status is { } status ? StatusMarkup.Paint(status, step.Text) : $"[bold]{Markup.Escape(step.Text)}[/]";
}
