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
                    RenderHistory(history);
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
                RenderOverview(overview);
            }

            return ExitCodes.Ok;
        }
        catch (Exception exception) when (exception is SqliteException or PostgresException)
        {
            CommandSupport.Error($"cannot read the ledger ({exception.Message}); run `pressluft migrate` first if it is new");
            return ExitCodes.Failed;
        }
    }

    private void RenderOverview(LedgerQueries.Overview overview)
    {
        var environments = new Table().Title("[bold]Environments[/]").AddColumns("site", "environment", "id", "status", "site status", "current release", "updated");
        foreach (var e in overview.Environments)
        {
            environments.AddRow(Markup.Escape(e.Site), Markup.Escape(e.Environment), e.Id.ToString(), StatusMarkup.For(e.Status), StatusMarkup.For(e.SiteStatus),
                e.CurrentReleaseId?.ToString() ?? "-", Time(e.UpdatedAt));
        }

        console.Write(environments);
        RenderJobs("Recent jobs", overview.RecentJobs);
    }

    private void RenderHistory(LedgerQueries.History history)
    {
        var e = history.Environment;
        console.MarkupLineInterpolated($"[bold]{e.Site}/{e.Environment}[/] ({e.Id}): {e.Status}, site {e.SiteStatus}");
        var releases = new Table().Title("[bold]Releases[/]").AddColumns("release", "health", "live", "id", "path");
        foreach (var r in history.Releases)
        {
            releases.AddRow(Markup.Escape(r.Name), StatusMarkup.For(r.Health), r.Current ? "[bold]current[/]" : "", r.Id.ToString(), Markup.Escape(r.Path));
        }

        console.Write(releases);
        var gates = new Table().Title("[bold]Gates[/]").AddColumns("started", "mutation", "mode", "outcome", "code");
        foreach (var g in history.Gates)
        {
            gates.AddRow(Time(g.StartedAt), Markup.Escape($"{g.MutationJobType} {g.MutationJobId}"), Markup.Escape(g.Mode), StatusMarkup.For(g.Outcome ?? "running"),
                Markup.Escape(g.ErrorCode ?? "-"));
        }

        console.Write(gates);
        RenderJobs("Jobs", history.Jobs);
        var changes = new Table().Title("[bold]History[/]").AddColumns("at", "what", "from", "to", "why");
        foreach (var c in history.Changes)
        {
            changes.AddRow(Time(c.At), Markup.Escape(c.Kind), StatusMarkup.For(c.From), StatusMarkup.For(c.To), Markup.Escape(c.Reason));
        }

        console.Write(changes);
    }

    private void RenderJobs(string title, IReadOnlyList<LedgerQueries.JobRow> jobs)
    {
        var table = new Table().Title($"[bold]{title}[/]").AddColumns("created", "job", "type", "status", "tries", "error code", "error message");
        foreach (var j in jobs)
        {
            table.AddRow(Time(j.CreatedAt), j.Id.ToString(), Markup.Escape(j.Type), StatusMarkup.For(j.Status), j.Attempts.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(j.ErrorCode ?? "-"), Markup.Escape(j.ErrorMessage ?? ""));
        }

        console.Write(table);
    }

    private static string Time(DateTime at) => at.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

}
