using Microsoft.EntityFrameworkCore;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Runner.Reporting;

/// <summary>What one gate looks like in the ledger right now: its steps so far, any job still running, and how it ended.</summary>
public sealed record GateProgress(IReadOnlyList<GateStep> Steps, LedgerQueries.JobRow? Running, GateRecord? Gate, string? EnvironmentStatus)
{
    /// <summary>
    /// Reads the gate of <paramref name="mutationJobId"/>: the gate row, its jobs (each run, retry and result), release
    /// health changes those jobs caused, and the environment's status changes since the gate started.
    /// </summary>
    public static async Task<GateProgress> ReadAsync(PressluftDbContext db, Guid mutationJobId, Guid environmentId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var gate = await db.Gates.AsNoTracking().SingleOrDefaultAsync(g => g.MutationJobId == mutationJobId, cancellationToken);
        var status = await db.Environments.AsNoTracking().Where(e => e.Id == environmentId).Select(e => e.Status).SingleOrDefaultAsync(cancellationToken);
        if (gate is null)
        {
            return new GateProgress([], null, null, status);
        }

        var jobs = await db.Jobs.AsNoTracking().Where(j => j.MutationJobId == mutationJobId).OrderBy(j => j.CreatedAt).ToListAsync(cancellationToken);
        var jobIds = jobs.Select(j => j.Id).ToList();
        var releases = await db.Releases.AsNoTracking().Where(r => r.EnvironmentId == environmentId).ToDictionaryAsync(r => r.Id, r => Path.GetFileName(r.Path), cancellationToken);
        var health = await db.ReleaseHealthTransitions.AsNoTracking().Where(t => t.JobId != null && jobIds.Contains(t.JobId.Value)).ToListAsync(cancellationToken);
        var changes = await db.EnvironmentStatusChanges.AsNoTracking().Where(c => c.EnvironmentId == environmentId && c.At >= gate.StartedAt).ToListAsync(cancellationToken);

        var steps = new List<GateStep>
        {
            new("gate", gate.StartedAt, $"gate started: {gate.MutationJobType} of {releases.GetValueOrDefault(gate.ReleaseId, gate.ReleaseId.ToString())} (mode {gate.Mode})"),
        };
        foreach (var job in jobs)
        {
            var what = $"{job.JobType} {job.Id}";
            if (job.StartedAt is { } started)
            {
                steps.Add(new($"job:{job.Id}:running", started, $"{what} running ({Playbook(job.JobType)})", JobStatuses.Running));
            }

            if (job.Status == JobStatuses.Running && job.ErrorCode is not null)
            {
                steps.Add(new($"job:{job.Id}:retry:{job.AttemptCount}", job.StartedAt ?? job.CreatedAt,
                    $"{what} attempt {job.AttemptCount} {job.ErrorCode}: {job.ErrorMessage}; retrying", "inconclusive"));
            }

            if (job.FinishedAt is { } finished)
            {
                var took = job.StartedAt is { } begun ? $" in {(finished - begun).TotalSeconds:0.0} s" : "";
                steps.Add(new($"job:{job.Id}:{job.Status}", finished,
                    job.ErrorCode is null ? $"{what} {job.Status}{took}" : $"{what} {job.Status}{took}: {job.ErrorCode}: {job.ErrorMessage}", job.Status));
            }
        }

        steps.AddRange(health.Select(t => new GateStep($"health:{t.Id}", t.At,
            $"release {releases.GetValueOrDefault(t.ReleaseId, t.ReleaseId.ToString())} {t.FromStatus} -> {t.ToStatus}: {t.Reason}", t.ToStatus)));
        steps.AddRange(changes.Select(c => new GateStep($"environment:{c.Id}", c.At, $"environment {c.FromStatus} -> {c.ToStatus}: {c.Reason}", c.ToStatus)));
        if (gate is { Outcome: { } outcome, CompletedAt: { } completed })
        {
            steps.Add(new("gate:end", completed, $"gate {outcome}{(gate.ErrorCode is null ? "" : $" ({gate.ErrorCode})")}; environment {status}", outcome));
        }

        var running = jobs.LastOrDefault(j => j.Status == JobStatuses.Running);
        return new GateProgress(steps.OrderBy(s => s.At).ThenBy(s => s.Key == "gate:end").ToList(),
            running is null ? null : LedgerQueries.ToRow(running), gate, status);
    }

    public static string Playbook(string jobType) => jobType == JobTypes.ReleaseRollback ? "release-rollback.yml" : "health-check.yml";
}
