using System.ComponentModel;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Pressluft.Messaging.Persistence;
using Pressluft.Runner.Reporting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pressluft.Runner.Commands;

/// <summary>Environments, releases with their health, and recent jobs with their error codes; or one environment's history.</summary>
public sealed class StatusCommand(IAnsiConsole console) : AsyncCommand<StatusCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-e|--environment <ID>")]
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
        using var host = CommandSupport.LedgerHost();
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
        try
        {
            if (settings.Environment is { } environmentId)
            {
                var history = await LedgerQueries.HistoryAsync(db, environmentId, cancellationToken);
                if (history is null)
                {
                    CommandSupport.Error($"environment {environmentId} is not in the ledger");
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

            var overview = await LedgerQueries.OverviewAsync(db, settings.Limit, cancellationToken);
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
        catch (Exception exception) when (exception is SqliteException or PostgresException)
        {
            CommandSupport.Error($"cannot read the ledger ({exception.Message}); run `pressluft migrate` first if it is new");
            return ExitCodes.Failed;
        }
    }

}
