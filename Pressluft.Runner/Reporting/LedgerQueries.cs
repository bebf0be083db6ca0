using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Runner.Reporting;

/// <summary>What <c>pressluft status</c> shows, as plain records (the same shape is printed as tables or JSON).</summary>
public static class LedgerQueries
{
    public sealed record EnvironmentRow(Guid Id, Guid SiteId, string Site, string Environment, string Status, string SiteStatus, Guid? CurrentReleaseId, DateTime UpdatedAt)
    {
        /// <summary>The current release's name (its folder), when known.</summary>
        public string? CurrentRelease { get; init; }
    }

    public sealed record ReleaseRow(Guid Id, string Name, string Path, string Health, bool Current, DateTime CreatedAt);

    public sealed record JobRow(Guid Id, Guid EnvironmentId, string Type, string Status, int Attempts, string? ErrorCode, string? ErrorMessage, DateTime CreatedAt,
        DateTime? FinishedAt);

    public sealed record GateRow(Guid MutationJobId, string MutationJobType, Guid ReleaseId, string Mode, string? Outcome, string? ErrorCode, DateTime StartedAt,
        DateTime? CompletedAt, string? Reason);

    public sealed record ChangeRow(DateTime At, string Kind, string From, string To, string Reason);

    /// <summary>One job with its structured error: per-check results, exit code, the redacted output tail.</summary>
    public sealed record JobDetail(JobRow Job, Guid? MutationJobId, string Site, string Environment, string? ErrorCode, string? ErrorMessage, bool? Retryable,
        IReadOnlyList<CheckResult> Checks, int? ExitCode, string? AnsibleCode, string? OutputTail);

    public sealed record Overview(IReadOnlyList<EnvironmentRow> Environments, IReadOnlyList<JobRow> RecentJobs);

    public sealed record History(EnvironmentRow Environment, IReadOnlyList<ReleaseRow> Releases, IReadOnlyList<GateRow> Gates, IReadOnlyList<JobRow> Jobs,
        IReadOnlyList<ChangeRow> Changes);

    public static async Task<Overview> OverviewAsync(PressluftDbContext db, int limit, CancellationToken cancellationToken)
    {
        var environments = await EnvironmentsAsync(db, null, cancellationToken);
        var jobs = await db.Jobs.AsNoTracking().OrderByDescending(j => j.CreatedAt).Take(limit).ToListAsync(cancellationToken);
        return new Overview(environments, jobs.Select(ToRow).ToList());
    }

    public static async Task<History?> HistoryAsync(PressluftDbContext db, Guid environmentId, CancellationToken cancellationToken)
    {
        var environment = (await EnvironmentsAsync(db, environmentId, cancellationToken)).SingleOrDefault();
        if (environment is null)
        {
            return null;
        }

        var releases = await db.Releases.AsNoTracking().Where(r => r.EnvironmentId == environmentId).OrderBy(r => r.CreatedAt).ToListAsync(cancellationToken);
        var releaseIds = releases.Select(r => r.Id).ToList();
        var gates = await db.Gates.AsNoTracking().Where(g => g.EnvironmentId == environmentId).OrderBy(g => g.StartedAt).ToListAsync(cancellationToken);
        var jobs = await db.Jobs.AsNoTracking().Where(j => j.EnvironmentId == environmentId).OrderBy(j => j.CreatedAt).ToListAsync(cancellationToken);
        var statusChanges = await db.EnvironmentStatusChanges.AsNoTracking().Where(c => c.EnvironmentId == environmentId).ToListAsync(cancellationToken);
        var healthChanges = await db.ReleaseHealthTransitions.AsNoTracking().Where(t => releaseIds.Contains(t.ReleaseId)).ToListAsync(cancellationToken);
        var names = releases.ToDictionary(r => r.Id, r => Path.GetFileName(r.Path));
        var changes = statusChanges.Select(c => new ChangeRow(c.At, "environment", c.FromStatus, c.ToStatus, c.Reason))
            .Concat(healthChanges.Select(t => new ChangeRow(t.At, $"release {names.GetValueOrDefault(t.ReleaseId, t.ReleaseId.ToString())}", t.FromStatus, t.ToStatus, t.Reason)))
            .OrderBy(c => c.At)
            .ToList();
        return new History(
            environment,
            releases.Select(r => new ReleaseRow(r.Id, Path.GetFileName(r.Path), r.Path, r.HealthStatus, r.Id == environment.CurrentReleaseId, r.CreatedAt)).ToList(),
            gates.Select(g => new GateRow(g.MutationJobId, g.MutationJobType, g.ReleaseId, g.Mode, g.Outcome, g.ErrorCode, g.StartedAt, g.CompletedAt, g.Reason)).ToList(),
            jobs.Select(ToRow).ToList(),
            changes);
    }

    public static async Task<JobDetail?> JobAsync(PressluftDbContext db, Guid jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var job = await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == jobId, cancellationToken);
        if (job is null)
        {
            return null;
        }

        var environment = (await EnvironmentsAsync(db, job.EnvironmentId, cancellationToken)).SingleOrDefault();
        var error = job.ErrorJson is null ? null : JsonSerializer.Deserialize<JobError>(job.ErrorJson, ErrorJson);
        return new JobDetail(ToRow(job), job.MutationJobId, environment?.Site ?? "", environment?.Environment ?? "", job.ErrorCode, job.ErrorMessage, error?.Retryable,
            error?.Details.Checks ?? [], error?.Details.ExitCode, error?.Details.AnsibleCode, error?.Details.OutputTail);
    }

    private static readonly JsonSerializerOptions ErrorJson = new(JsonSerializerDefaults.Web);

    private static async Task<List<EnvironmentRow>> EnvironmentsAsync(PressluftDbContext db, Guid? only, CancellationToken cancellationToken)
    {
        var query = from environment in db.Environments.AsNoTracking()
                    join site in db.Sites.AsNoTracking() on environment.SiteId equals site.Id
                    where only == null || environment.Id == only
                    orderby site.Slug, environment.Slug
                    select new EnvironmentRow(environment.Id, site.Id, site.Slug, environment.Slug, environment.Status, site.Status, environment.CurrentReleaseId,
                        environment.UpdatedAt);
        var rows = await query.ToListAsync(cancellationToken);
        var current = rows.Where(r => r.CurrentReleaseId != null).Select(r => r.CurrentReleaseId!.Value).ToList();
        var names = await db.Releases.AsNoTracking().Where(r => current.Contains(r.Id)).ToDictionaryAsync(r => r.Id, r => r.Path, cancellationToken);
        return rows.Select(r => r with { CurrentRelease = r.CurrentReleaseId is { } id && names.TryGetValue(id, out var path) ? Path.GetFileName(path) : null })
            .ToList();
    }

    public static JobRow ToRow(JobRecord j) =>
        new(j.Id, j.EnvironmentId, j.JobType, j.Status, j.AttemptCount, j.ErrorCode, j.ErrorMessage, j.CreatedAt, j.FinishedAt);
}
