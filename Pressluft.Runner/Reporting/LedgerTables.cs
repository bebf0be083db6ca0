using System.Globalization;
using Pressluft.Contracts;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Pressluft.Runner.Reporting;

/// <summary>
/// The ledger as tables an operator reads (<c>pressluft status</c>, <c>pressluft job</c> and the demo). Ids are never
/// wrapped, so they can be copied whole at any terminal width; slugs and release names stand in for ids where they exist.
/// </summary>
public static class LedgerTables
{
    public static void Overview(IAnsiConsole console, LedgerQueries.Overview overview)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(overview);
        console.Write(OverviewTables(overview));
    }

    /// <summary>The overview as one renderable, so <c>status --watch</c> can refresh it in place.</summary>
    public static IRenderable OverviewTables(LedgerQueries.Overview overview)
    {
        ArgumentNullException.ThrowIfNull(overview);
        var environments = new Table().Title("[bold]Environments[/]");
        environments.AddColumn("site/environment");
        environments.AddColumn(Id("environment id"));
        environments.AddColumns("status", "site", "current release", "updated");
        foreach (var e in overview.Environments)
        {
            environments.AddRow(Markup.Escape($"{e.Site}/{e.Environment}"), e.Id.ToString(), StatusMarkup.For(e.Status), StatusMarkup.For(e.SiteStatus),
                Markup.Escape(e.CurrentRelease ?? "-"), Time(e.UpdatedAt));
        }

        return new Rows(environments, JobsTable("Recent jobs", overview.RecentJobs));
    }

    public static void History(IAnsiConsole console, LedgerQueries.History history)
    {
        ArgumentNullException.ThrowIfNull(console);
        console.Write(HistoryTables(history));
    }

    /// <summary>One environment's history as one renderable, so <c>status --environment --watch</c> can refresh it in place.</summary>
    public static IRenderable HistoryTables(LedgerQueries.History history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var e = history.Environment;
        var title = new Markup($"[bold]{Markup.Escape($"{e.Site}/{e.Environment}")}[/] ({e.Id}): {StatusMarkup.For(e.Status)}, site {StatusMarkup.For(e.SiteStatus)}");
        var releases = new Table().Title("[bold]Releases[/]").AddColumns("release", "health", "live");
        releases.AddColumn(Id("id"));
        releases.AddColumn("path");
        foreach (var r in history.Releases)
        {
            releases.AddRow(Markup.Escape(r.Name), StatusMarkup.For(r.Health), r.Current ? "[bold]current[/]" : "", r.Id.ToString(), Markup.Escape(r.Path));
        }

        var gates = new Table().Title("[bold]Gates[/]").AddColumns("started", "type");
        gates.AddColumn(Id("mutation job id"));
        gates.AddColumns("mode", "outcome", "code", "why");
        foreach (var g in history.Gates)
        {
            gates.AddRow(Time(g.StartedAt), Markup.Escape(g.MutationJobType), g.MutationJobId.ToString(), Markup.Escape(g.Mode), StatusMarkup.For(g.Outcome ?? "running"),
                Markup.Escape(g.ErrorCode ?? "-"), Markup.Escape(g.Reason ?? ""));
        }

        var changes = new Table().Title("[bold]History[/]").AddColumns("at", "what", "from", "to", "why");
        foreach (var c in history.Changes)
        {
            changes.AddRow(Time(c.At), Markup.Escape(c.Kind), StatusMarkup.For(c.From), StatusMarkup.For(c.To), Markup.Escape(c.Reason));
        }

        return new Rows(title, releases, gates, JobsTable("Jobs", history.Jobs), changes);
    }

    /// <summary>One job: what it was, how it ended, each check's verdict, duration and detail, and the redacted output tail.</summary>
    public static void Job(IAnsiConsole console, LedgerQueries.JobDetail detail)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(detail);
        var j = detail.Job;
        var summary = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        summary.AddRow("job", j.Id.ToString());
        summary.AddRow("type", Markup.Escape(j.Type));
        summary.AddRow("status", StatusMarkup.For(j.Status));
        summary.AddRow("environment", Markup.Escape($"{detail.Site}/{detail.Environment} ({j.EnvironmentId})"));
        summary.AddRow("gate of mutation", detail.MutationJobId?.ToString() ?? "-");
        summary.AddRow("attempts", j.Attempts.ToString(CultureInfo.InvariantCulture));
        summary.AddRow("created", Time(j.CreatedAt));
        summary.AddRow("finished", j.FinishedAt is { } finished ? Time(finished) : "-");
        if (detail.ErrorCode is not null)
        {
            summary.AddRow("error", $"[red]{Markup.Escape(detail.ErrorCode)}[/]: {Markup.Escape(detail.ErrorMessage ?? "")}");
            summary.AddRow("retryable", detail.Retryable == true ? "yes" : "no");
            summary.AddRow("exit code", Markup.Escape($"{detail.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-"}{(detail.AnsibleCode is null ? "" : $" ({detail.AnsibleCode})")}"));
        }

        console.Write(summary);
        var checks = new Table().Title("[bold]Checks[/]").AddColumns("check", "verdict", "duration", "tries", "detail");
        foreach (var c in detail.Checks)
        {
            checks.AddRow(Markup.Escape(c.Check), StatusMarkup.For(c.Outcome), $"{c.DurationMs / 1000.0:0.00} s", c.Attempts.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(c.Detail ?? ""));
        }

        if (detail.Checks.Count > 0)
        {
            console.Write(checks);
        }
        else if (j.Type == JobTypes.HealthCheck)
        {
            console.MarkupLine(j.Status == JobStatuses.Succeeded
                ? "[grey]every check passed (per-check results are recorded for failed checks only)[/]"
                : "[grey]no per-check results were recorded for this job[/]");
        }

        if (!string.IsNullOrEmpty(detail.OutputTail))
        {
            console.Write(new Rule("[bold]playbook output (last 10 KB, secrets redacted)[/]").LeftJustified());
            console.Write(new Text(detail.OutputTail.TrimEnd() + Environment.NewLine));
        }
    }

    private static Table JobsTable(string title, IReadOnlyList<LedgerQueries.JobRow> jobs)
    {
        var table = new Table().Title($"[bold]{title}[/]").AddColumn("created");
        table.AddColumn(Id("job id"));
        table.AddColumns("type", "status", "tries", "error code", "error message");
        foreach (var j in jobs)
        {
            table.AddRow(Time(j.CreatedAt), j.Id.ToString(), Markup.Escape(j.Type), StatusMarkup.For(j.Status), j.Attempts.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(j.ErrorCode ?? "-"), Markup.Escape(j.ErrorMessage ?? ""));
        }

        return table;
    }

    /// <summary>A column of UUIDs: never wrapped, so an id is always one piece on one line.</summary>
    private static TableColumn Id(string header) => new TableColumn(header).NoWrap();

    private static string Time(DateTime at) => at.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
