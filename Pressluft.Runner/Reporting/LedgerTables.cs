using System.Globalization;
using Spectre.Console;

namespace Pressluft.Runner.Reporting;

/// <summary>The ledger as tables an operator reads (<c>pressluft status</c> and the demo).</summary>
public static class LedgerTables
{
    public static void Overview(IAnsiConsole console, LedgerQueries.Overview overview)
    {
        var environments = new Table().Title("[bold]Environments[/]").AddColumns("site", "environment", "id", "status", "site status", "current release", "updated");
        foreach (var e in overview.Environments)
        {
            environments.AddRow(Markup.Escape(e.Site), Markup.Escape(e.Environment), e.Id.ToString(), StatusMarkup.For(e.Status), StatusMarkup.For(e.SiteStatus),
                e.CurrentReleaseId?.ToString() ?? "-", Time(e.UpdatedAt));
        }

        console.Write(environments);
        Jobs(console, "Recent jobs", overview.RecentJobs);
    }

    public static void History(IAnsiConsole console, LedgerQueries.History history)
    {
        var e = history.Environment;
        console.MarkupLineInterpolated($"[bold]{e.Site}/{e.Environment}[/] ({e.Id}): {e.Status}, site {e.SiteStatus}");
        var releases = new Table().Title("[bold]Releases[/]").AddColumns("release", "health", "live", "id", "path");
        foreach (var r in history.Releases)
        {
            releases.AddRow(Markup.Escape(r.Name), StatusMarkup.For(r.Health), r.Current ? "[bold]current[/]" : "", r.Id.ToString(), Markup.Escape(r.Path));
        }

        console.Write(releases);
        var gates = new Table().Title("[bold]Gates[/]").AddColumns("started", "mutation", "mode", "outcome", "code", "why");
        foreach (var g in history.Gates)
        {
            gates.AddRow(Time(g.StartedAt), Markup.Escape($"{g.MutationJobType} {g.MutationJobId}"), Markup.Escape(g.Mode), StatusMarkup.For(g.Outcome ?? "running"),
                Markup.Escape(g.ErrorCode ?? "-"), Markup.Escape(g.Reason ?? ""));
        }

        console.Write(gates);
        Jobs(console, "Jobs", history.Jobs);
        var changes = new Table().Title("[bold]History[/]").AddColumns("at", "what", "from", "to", "why");
        foreach (var c in history.Changes)
        {
            changes.AddRow(Time(c.At), Markup.Escape(c.Kind), StatusMarkup.For(c.From), StatusMarkup.For(c.To), Markup.Escape(c.Reason));
        }

        console.Write(changes);
    }

    private static void Jobs(IAnsiConsole console, string title, IReadOnlyList<LedgerQueries.JobRow> jobs)
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
