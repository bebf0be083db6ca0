using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Pressluft.Contracts;
using Spectre.Console;

namespace Pressluft.Runner.Demo;

/// <summary>Prints what the gate does as it happens, and lets the demo wait for a gate to end.</summary>
public sealed class DemoProgress(IAnsiConsole console)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<GateCompleted>> _gates = new();
    private volatile RunningPlaybook? _running;

    public void Say(string markup) => console.MarkupLine($"[grey]{_clock.Elapsed.TotalSeconds,6:0.0}s[/] {markup}");

    public Task<GateCompleted> GateEnded(Guid mutationJobId) => Completion(mutationJobId).Task;

    /// <summary>
    /// Waits for a gate to end, saying every few seconds which playbook is running and for how long, so the demo is
    /// never silent while Ansible works.
    /// </summary>
    public async Task<GateCompleted> FollowAsync(Guid mutationJobId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var ended = GateEnded(mutationJobId).WaitAsync(timeout, cancellationToken);
        while (await Task.WhenAny(ended, Task.Delay(TimeSpan.FromSeconds(3), cancellationToken)) != ended)
        {
            if (_running is { } running)
            {
                Say($"[grey]... {Markup.Escape(running.Playbook)} running for {(_clock.Elapsed - running.Since).TotalSeconds:0} s[/]");
            }
        }

        return await ended;
    }

    internal void Started(string playbook) => _running = new RunningPlaybook(playbook, _clock.Elapsed);

    internal void Finished() => _running = null;

    internal void Ended(GateCompleted gate) => Completion(gate.MutationJobId).TrySetResult(gate);

    private sealed record RunningPlaybook(string Playbook, TimeSpan Since);

    private TaskCompletionSource<GateCompleted> Completion(Guid id) =>
        _gates.GetOrAdd(id, _ => new TaskCompletionSource<GateCompleted>(TaskCreationOptions.RunContinuationsAsynchronously));
}

public sealed class DemoNarrator(DemoProgress progress) :
    IConsumer<HealthCheckRequested>,
    IConsumer<JobStarted>,
    IConsumer<HealthCheckPassed>,
    IConsumer<HealthCheckFailed>,
    IConsumer<RollbackRequested>,
    IConsumer<RollbackCompleted>,
    IConsumer<RollbackFailed>,
    IConsumer<ReleaseHealthChanged>,
    IConsumer<EnvironmentStatusChanged>,
    IConsumer<GateCompleted>
{
    public Task Consume(ConsumeContext<HealthCheckRequested> context)
    {
        progress.Say($"health check requested ({context.Message.Purpose}) for [bold]{Release(context.Message.Release.Path)}[/], attempt {context.Message.Attempt}");
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<JobStarted> context)
    {
        var playbook = context.Message.JobType == JobTypes.ReleaseRollback ? "release-rollback.yml" : "health-check.yml";
        progress.Started(playbook);
        progress.Say($"{playbook} running (attempt {context.Message.Attempt})");
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<HealthCheckPassed> context)
    {
        progress.Finished();
        progress.Say($"[green]health check passed[/]: {Checks(context.Message.Checks)}");
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<HealthCheckFailed> context)
    {
        progress.Finished();
        var error = context.Message.Error;
        progress.Say($"[red]health check {context.Message.Verdict}[/] ({Markup.Escape(error.Code)}): {Checks(error.Details.Checks)}");
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<RollbackRequested> context)
    {
        progress.Say($"[yellow]rollback requested[/]: {Release(context.Message.FromRelease.Path)} -> [bold]{Release(context.Message.ToRelease.Path)}[/]");
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<RollbackCompleted> context)
    {
        progress.Finished();
        progress.Say("[green]rollback completed[/]: current switched back");
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<RollbackFailed> context)
    {
        progress.Finished();
        progress.Say($"[red]rollback failed[/] ({Markup.Escape(context.Message.Error.Code)}): {Markup.Escape(context.Message.Error.Message)}");
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<ReleaseHealthChanged> context)
    {
        progress.Say($"release health {Markup.Escape(context.Message.From)} -> [bold]{Markup.Escape(context.Message.To)}[/]");
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<EnvironmentStatusChanged> context)
    {
        progress.Say($"environment {Markup.Escape(context.Message.From)} -> [bold]{Markup.Escape(context.Message.To)}[/]");
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<GateCompleted> context)
    {
        var gate = context.Message;
        progress.Say($"[bold]gate ended: {Markup.Escape(gate.Outcome)}[/]{(gate.ErrorCode is null ? "" : $" ({Markup.Escape(gate.ErrorCode)})")}");
        progress.Ended(gate);
        return Task.CompletedTask;
    }

    private static string Release(string path) => Markup.Escape(Path.GetFileName(path));

    private static string Checks(IEnumerable<CheckResult> checks) =>
        string.Join(", ", checks.Select(c => $"{Markup.Escape(c.Check)} {(c.Outcome == CheckOutcomes.Passed ? "[green]ok[/]" : $"[red]{Markup.Escape(c.Detail ?? c.Outcome)}[/]")}"));
}
