using Microsoft.EntityFrameworkCore;
using Pressluft.Messaging.Persistence;
using Spectre.Console;

namespace Pressluft.Runner.Reporting;

/// <summary>Renders what the ledger knows about one environment as tables an operator can read.</summary>
public static class LedgerReport
{
    public static async Task RenderEnvironmentAsync(PressluftDbContext db, Guid environmentId, IAnsiConsole console, CancellationToken cancellationToken)
    {
        var environment = await db.Environments.AsNoTracking().SingleOrDefaultAsync(e => e.Id == environmentId, cancellationToken);
        if (environment is null)
        {
            console.MarkupLineInterpolated($"[red]Environment {environmentId} is not in the ledger.[/]");
            return;
        }

        var site = await db.Sites.AsNoTracking().SingleOrDefaultAsync(s => s.Id == environment.SiteId, cancellationToken);
        var releases = await db.Releases.AsNoTracking().Where(r => r.EnvironmentId == environmentId).OrderBy(r => r.CreatedAt).ToListAsync(cancellationToken);
        var jobs = await db.Jobs.AsNoTracking().Where(j => j.EnvironmentId == environmentId).OrderBy(j => j.CreatedAt).ToListAsync(cancellationToken);
        var gates = await db.Gates.AsNoTracking().Where(g => g.EnvironmentId == environmentId).OrderBy(g => g.StartedAt).ToListAsync(cancellationToken);
        var names = releases.ToDictionary(r => r.Id, r => Path.GetFileName(r.Path));
        string Name(Guid? id) => id is { } value && names.TryGetValue(value, out var name) ? name : id?.ToString() ?? "-";

        var summary = new Table().Title("[bold]Environment[/]").AddColumns("site", "site status", "environment", "status", "current release");
        summary.AddRow(
            Markup.Escape(site?.Slug ?? environment.SiteId.ToString()),
            StatusMarkup.For(site?.Status ?? "-"),
            Markup.Escape(environment.Slug),
            StatusMarkup.For(environment.Status),
            Markup.Escape(Name(environment.CurrentReleaseId)));
        console.Write(summary);

        var releaseTable = new Table().Title("[bold]Releases[/]").AddColumns("release", "health", "id", "live");
        foreach (var release in releases)
        {
            releaseTable.AddRow(Markup.Escape(Name(release.Id)), StatusMarkup.For(release.HealthStatus), Markup.Escape(release.Id.ToString()),
                release.Id == environment.CurrentReleaseId ? "[bold]current[/]" : "");
        }

        console.Write(releaseTable);

        var gateTable = new Table().Title("[bold]Gates[/]").AddColumns("mutation", "release", "mode", "outcome", "code");
        foreach (var gate in gates)
        {
            gateTable.AddRow(
                Markup.Escape($"{gate.MutationJobType} {Short(gate.MutationJobId)}"),
                Markup.Escape(Name(gate.ReleaseId)),
                Markup.Escape(gate.Mode),
                StatusMarkup.For(gate.Outcome ?? "running"),
                Markup.Escape(gate.ErrorCode ?? "-"));
        }

        console.Write(gateTable);

        var jobTable = new Table().Title("[bold]Jobs[/]").AddColumns("job", "type", "status", "tries", "error code", "error message");
        foreach (var job in jobs)
        {
            jobTable.AddRow(
                Markup.Escape(Short(job.Id)),
                Markup.Escape(job.JobType),
                StatusMarkup.For(job.Status),
                job.AttemptCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(job.ErrorCode ?? "-"),
                Markup.Escape(Truncate(job.ErrorMessage ?? "", 60)));
        }

        console.Write(jobTable);
    }

    // Time-ordered ids share their first digits; the last ones tell rows apart.
    private static string Short(Guid id) => id.ToString("N")[^8..];

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..(max - 1)] + "…";

}
