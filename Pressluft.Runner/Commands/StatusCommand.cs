using System.ComponentModel;
using Pressluft.Runner.Reporting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pressluft.Runner.Commands;

/// <summary>Environments, releases with their health, and recent jobs with their error codes; or one environment's history.</summary>
public sealed class StatusCommand(IAnsiConsole console) : AsyncCommand<StatusCommand.Settings>
{
    public sealed class Settings : PressluftSettings
    {
        [CommandOption("-e|--environment <ID>")]
        [TypeConverter(typeof(UuidConverter))]
        [Description("Show one environment's history: releases, gates, jobs and every status and health change.")]
        public Guid? Environment { get; init; }

        [CommandOption("--limit <N>")]
        [Description("How many recent jobs to list (default 20).")]
        [DefaultValue(20)]
        public int Limit { get; init; } = 20;

        [CommandOption("--json")]
        [Description("Print JSON instead of tables.")]
        public bool Json { get; init; }

        public override ValidationResult Validate() =>
            Limit is < 1 or > 1000 ? ValidationResult.Error("--limit must be between 1 and 1000") : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var ledger = new LedgerReader();
        if (settings.Environment is { } environmentId)
        {
            var history = await ledger.ReadAsync(db => LedgerQueries.HistoryAsync(db, environmentId, cancellationToken), cancellationToken);
            if (history is null)
            {
                CommandSupport.Error($"environment {environmentId} is not in the ledger ({ledger.Where})");
                return ExitCodes.Failed;
            }

            if (settings.Json)
            {
                CommandSupport.WriteJson(console, history);
            }
            else
            {
                LedgerTables.History(console, history);
            }

            return ExitCodes.Ok;
        }

        var overview = await ledger.ReadAsync(db => LedgerQueries.OverviewAsync(db, settings.Limit, cancellationToken), cancellationToken);
        if (settings.Json)
        {
            CommandSupport.WriteJson(console, overview);
        }
        else
        {
            LedgerTables.Overview(console, overview);
        }

        return ExitCodes.Ok;
    }
}
