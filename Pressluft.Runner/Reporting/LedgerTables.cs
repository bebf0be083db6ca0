using System.Globalization;
using Pressluft.Contracts;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Pressluft.Runner.Reporting;

/// <summary>
/// The ledger as tables an operator reads (<c>pressluft status</c>, <c>pressluft job</c> and the demo). Ids are never
/// broken, at any terminal width (<see cref="IdSafeTable"/>); slugs and release names stand in for ids where they exist.
/// </summary>
public static class LedgerTables
{
    public static void Overview(IAnsiConsole console, LedgerQueries.Overview overview)
    {
        ArgumentNullException.ThrowIfNull(console);
        console.Write(OverviewTables(overview, console.Profile.Width));
    }

    /// <summary>The overview as one renderable, so <c>status --watch</c> can refresh it in place.</summary>
    public static IRenderable OverviewTables(LedgerQueries.Overview overview, int width)
    {
        ArgumentNullException.ThrowIfNull(overview);
        var environments = new IdSafeTable("Environments", width)
            .Column("site/environment").Column("environment id", ColumnKind.Id).Column("status").Column("site", ColumnKind.WideOnly)
            .Column("current release").Column("updated", ColumnKind.WideOnly);
        foreach (var e in overview.Environments)
        {
            environments.Row(Markup.Escape($"{e.Site}/{e.Environment}"), e.Id.ToString(), StatusMarkup.For(e.Status), StatusMarkup.For(e.SiteStatus),
                Markup.Escape(e.CurrentRelease ?? "-"), Time(e.UpdatedAt));
        }

        return new Rows(environments.Build(), JobsTable("Recent jobs", overview.RecentJobs, width));
    }

    public static void History(IAnsiConsole console, LedgerQueries.History history)
    {
        ArgumentNullException.ThrowIfNull(console);
        console.Write(HistoryTables(history, console.Profile.Width));
    }

    /// <summary>One environment's history as one renderable, so <c>status --environment --watch</c> can refresh it in place.</summary>
    public static IRenderable HistoryTables(LedgerQueries.History history, int width)
    {
        ArgumentNullException.ThrowIfNull(history);
        var e = history.Environment;
        var title = new Markup($"[bold]{Markup.Escape($"{e.Site}/{e.Environment}")}[/] ({e.Id}): {StatusMarkup.For(e.Status)}, site {StatusMarkup.For(e.SiteStatus)}");
        var releases = new IdSafeTable("Releases", width)
            .Column("release").Column("health").Column("live").Column("id", ColumnKind.Id).Column("path", ColumnKind.WideOnly);
        foreach (var r in history.Releases)
        {
            releases.Row(Markup.Escape(r.Name), StatusMarkup.For(r.Health), r.Current ? "[bold]current[/]" : "", r.Id.ToString(), Markup.Escape(r.Path));
        }

        var gates = new IdSafeTable("Gates", width)
            .Column("started", ColumnKind.WideOnly).Column("type").Column("mutation job id", ColumnKind.Id).Column("mode", ColumnKind.WideOnly)
            .Column("outcome").Column("code").Column("why", ColumnKind.Text);
        foreach (var g in history.Gates)
        {
            gates.Row(Time(g.StartedAt), Markup.Escape(g.MutationJobType), g.MutationJobId.ToString(), Markup.Escape(g.Mode), StatusMarkup.For(g.Outcome ?? "running"),
                Markup.Escape(g.ErrorCode ?? "-"), Markup.Escape(g.Reason ?? ""));
        }

        var changes = new IdSafeTable("History", width).Column("at").Column("what").Column("from").Column("to").Column("why", ColumnKind.Text);
        foreach (var c in history.Changes)
        {
            changes.Row(Time(c.At), Markup.Escape(c.Kind), StatusMarkup.For(c.From), StatusMarkup.For(c.To), Markup.Escape(c.Reason));
        }

        return new Rows(title, releases.Build(), gates.Build(), JobsTable("Jobs", history.Jobs, width), changes.Build());
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
        summary.AddRow("environment", Markup.Escape($"{detail.Site}/{detail.Environment}"));
        summary.AddRow("environment id", j.EnvironmentId.ToString());
        summary.AddRow("gate of mutation", detail.MutationJobId?.ToString() ?? "-");
        summary.AddRow("attempts", j.Attempts.ToString(CultureInfo.InvariantCulture));
        summary.AddRow("created", Time(j.CreatedAt));
        summary.AddRow("finished", j.FinishedAt is { } finished ? Time(finished) : "-");
        if (detail.ErrorCode is not null)
        {
            summary.AddRow("error", $"[red]{Markup.Escape(detail.ErrorCode)}[/]");
            summary.AddRow("retryable", detail.Retryable == true ? "yes" : "no");
            summary.AddRow("exit code", Markup.Escape($"{detail.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-"}{(detail.AnsibleCode is null ? "" : $" ({detail.AnsibleCode})")}"));
        }

        console.Write(summary);
        if (detail.ErrorMessage is not null)
        {
            console.Write(new Text(detail.ErrorMessage + Environment.NewLine));
        }

        var checks = new IdSafeTable("Checks", console.Profile.Width)
            .Column("check").Column("verdict").Column("duration").Column("tries").Column("detail", ColumnKind.Text);
        foreach (var c in detail.Checks)
        {
            checks.Row(Markup.Escape(c.Check), StatusMarkup.For(c.Outcome), $"{c.DurationMs / 1000.0:0.00} s", c.Attempts.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(c.Detail ?? ""));
        }

        if (detail.Checks.Count > 0)
        {
            console.Write(checks.Build());
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

    private static IRenderable JobsTable(string title, IReadOnlyList<LedgerQueries.JobRow> jobs, int width)
    {
        var table = new IdSafeTable(title, width)
            .Column("created", ColumnKind.WideOnly).Column("job id", ColumnKind.Id).Column("type").Column("status").Column("tries", ColumnKind.WideOnly)
            .Column("error code").Column("error message", ColumnKind.Text);
        foreach (var j in jobs)
        {
            table.Row(Time(j.CreatedAt), j.Id.ToString(), Markup.Escape(j.Type), StatusMarkup.For(j.Status), j.Attempts.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(j.ErrorCode ?? "-"), Markup.Escape(j.ErrorMessage ?? ""));
        }

        return table.Build();
    }

    private static string Time(DateTime at) => at.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
