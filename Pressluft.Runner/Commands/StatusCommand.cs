using System.ComponentModel;
using System.Text.Json;
using Pressluft.Runner.Reporting;
using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Rendering;

namespace Pressluft.Runner.Commands;

/// <summary>Environments, releases with their health, and recent jobs with their error codes; or one environment's history; once or live.</summary>
public sealed class StatusCommand(IAnsiConsole console) : AsyncCommand<StatusCommand.Settings>
{
    public sealed class Settings : PressluftSettings
    {
        [CommandOption("-e|--environment <ID>")]
        [TypeConverter(typeof(UuidConverter))]
        [Description("Show one environment's history: releases, gates, jobs and every status and health change.")]
        public Guid? Environment { get; init; }

        [CommandOption("--limit <N>")]
        [Description("How many recent jobs to list.")]
        [DefaultValue(20)]
        public int Limit { get; init; } = 20;

        [CommandOption("--watch")]
        [Description("Refresh until Ctrl+C: in place on a terminal, else again on each change (--json: a document per line).")]
        public bool Watch { get; init; }

        [CommandOption("--interval <SECONDS>")]
        [Description("How often --watch reads the ledger.")]
        [DefaultValue(2)]
        public int IntervalSeconds { get; init; } = 2;

        [CommandOption("--json")]
        [Description("Print JSON instead of tables.")]
        public bool Json { get; init; }

        public override ValidationResult Validate() =>
            Limit is < 1 or > 1000 ? ValidationResult.Error("--limit must be between 1 and 1000")
            : IntervalSeconds is < 1 or > 3600 ? ValidationResult.Error("--interval must be between 1 and 3600 seconds")
            : ValidationResult.Success();
    }

    private static readonly JsonSerializerOptions OneLine = new(CommandSupport.Json) { WriteIndented = false };

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var ledger = new LedgerReader();
        var first = await ReadAsync(ledger, settings, cancellationToken);
        if (first is null)
        {
            CommandSupport.Error($"environment {settings.Environment} is not in the ledger ({ledger.Where})");
            return ExitCodes.Failed;
        }

        if (!settings.Watch)
        {
            Show(first, settings);
            return ExitCodes.Ok;
        }

        try
        {
            await WatchAsync(ledger, first, settings, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C ends a watch; that is how it is meant to stop.
        }

        return ExitCodes.Ok;
    }

    private async Task WatchAsync(LedgerReader ledger, object first, Settings settings, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(settings.IntervalSeconds);
        if (!settings.Json && console.Profile.Capabilities.Interactive)
        {
            await console.Live(Render(first)).StartAsync(async live =>
            {
                while (true)
                {
                    await Task.Delay(interval, cancellationToken);
                    live.UpdateTarget(Render(await ReadAsync(ledger, settings, cancellationToken) ?? first));
                }
            });
            return;
        }

        // In a log or a pipe: print again only when something changed, so the output reads as a history.
        var last = "";
        var current = first;
        while (true)
        {
            var snapshot = JsonSerializer.Serialize(current, CommandSupport.Json);
            if (snapshot != last)
            {
                last = snapshot;
                if (settings.Json)
                {
                    console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(current, OneLine));
                }
                else
                {
                    console.Write(new Rule($"[grey]{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC[/]").LeftJustified());
                    console.Write(Render(current));
                }
            }

            await Task.Delay(interval, cancellationToken);
            current = await ReadAsync(ledger, settings, cancellationToken) ?? current;
        }
    }

    private static async Task<object?> ReadAsync(LedgerReader ledger, Settings settings, CancellationToken cancellationToken) =>
        settings.Environment is { } environmentId
            ? await ledger.ReadAsync(db => LedgerQueries.HistoryAsync(db, environmentId, cancellationToken), cancellationToken)
            : await ledger.ReadAsync(db => LedgerQueries.OverviewAsync(db, settings.Limit, cancellationToken), cancellationToken);

    private void Show(object view, Settings settings)
    {
        if (settings.Json)
        {
            CommandSupport.WriteJson(console, view);
        }
        else
        {
            console.Write(Render(view));
        }
    }

    private IRenderable Render(object view) => view switch
    {
        LedgerQueries.History history => LedgerTables.HistoryTables(history, console.Profile.Width),
        LedgerQueries.Overview overview => LedgerTables.OverviewTables(overview, console.Profile.Width),
        _ => throw new ArgumentOutOfRangeException(nameof(view), view.GetType().Name, "not a ledger view"),
    };
}
