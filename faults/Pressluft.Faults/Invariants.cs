using Microsoft.EntityFrameworkCore;
using Pressluft.Contracts;

namespace Pressluft.Faults;

/// <summary>
/// The invariants of issue 9, checked after a scenario from what a user can see: the ledger, the queues, the outbox
/// and the file system, against what the scenario knows (which releases are good, what it published).
/// </summary>
internal static class Invariants
{
    /// <summary>Short names of what <see cref="CheckAsync"/> checks, for the scenario's line.</summary>
    public const string Names = "one-outcome,verdicts,active-iff-healthy,symlink=ledger,1-rollback/gate,no-unmeasured-unhealthy,no-waiting-saga,outbox-drained,queues-drained,no-overlap";

    private static readonly string[] WaitingStates = ["HealthChecking", "RollingBack", "VerifyingRollback"];
    private static readonly string[] InconclusiveCodes = [ErrorCodes.HealthCheckInconclusive, ErrorCodes.HealthCheckTimeout];

    public static async Task<List<string>> CheckAsync(FaultWorld world, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var mutations = world.Mutations;
        var ledger = await world.QueryAsync(async db => new
        {
            Gates = await db.Gates.AsNoTracking().ToListAsync(cancellationToken),
            Jobs = await db.Jobs.AsNoTracking().ToListAsync(cancellationToken),
            Releases = await db.Releases.AsNoTracking().ToListAsync(cancellationToken),
            Transitions = await db.ReleaseHealthTransitions.AsNoTracking().ToListAsync(cancellationToken),
            Environments = await db.Environments.AsNoTracking().ToListAsync(cancellationToken),
            Sites = await db.Sites.AsNoTracking().ToListAsync(cancellationToken),
            Sagas = await db.ReleaseLifecycleSagas.AsNoTracking().ToListAsync(cancellationToken),
            Outbox = await db.OutboxMessages.AsNoTracking().Select(m => new { m.MessageType, m.EnqueueTime, m.DeliveryAttempts, m.GaveUpAt, m.LastError })
                .ToListAsync(cancellationToken),
        });

        // Every gate owed ends in exactly one outcome, and the right one for the release it gated.
        foreach (var mutation in mutations)
        {
            var gates = ledger.Gates.Where(g => g.MutationJobId == mutation.JobId).ToList();
            if (gates.Count != 1 || gates[0].Outcome is null)
            {
                problems.Add($"gate {Short(mutation.JobId)} (site {mutation.Site.Number}): {gates.Count} gate rows, outcome {gates.FirstOrDefault()?.Outcome ?? "none"}");
                continue;
            }

            var gate = gates[0];
            var superseded = mutation.MayBeSuperseded && gate.Outcome == GateOutcomes.Superseded;
            var right = superseded || mutation.Expected switch
            {
                Expected.Pass => gate.Outcome == GateOutcomes.Passed,
                Expected.RollBack => gate.Outcome == GateOutcomes.RolledBack,
                Expected.Hold => gate.Outcome == GateOutcomes.Failed && InconclusiveCodes.Contains(gate.ErrorCode),
                _ => false,
            };
            if (!right)
            {
                problems.Add($"gate {Short(mutation.JobId)} (site {mutation.Site.Number}, {(mutation.Release.Good ? "good" : "broken")} release): expected {mutation.Expected}, ended {gate.Outcome} {gate.ErrorCode} ({gate.Reason})");
            }

            var rollbacks = ledger.Jobs.Count(j => j.MutationJobId == mutation.JobId && j.JobType == JobTypes.ReleaseRollback);
            if (rollbacks > 1 || (rollbacks > 0 && mutation.Expected != Expected.RollBack))
            {
                problems.Add($"gate {Short(mutation.JobId)} (site {mutation.Site.Number}): {rollbacks} rollback jobs");
            }
        }

        // No release judged unhealthy unless a check measured it bad; a good release never.
        var goodReleases = mutations.SelectMany(m => new[] { m.Release, m.Previous }).OfType<Release>().Where(r => r.Good).Select(r => r.Id).ToHashSet();
        foreach (var transition in ledger.Transitions.Where(t => t.ToStatus == ReleaseHealth.Unhealthy))
        {
            var job = ledger.Jobs.FirstOrDefault(j => j.Id == transition.JobId);
            if (goodReleases.Contains(transition.ReleaseId))
            {
                problems.Add($"good release {Short(transition.ReleaseId)} marked unhealthy ({transition.Reason}, job code {job?.ErrorCode ?? "none"})");
            }
            else if (job?.ErrorCode != ErrorCodes.HealthCheckFailed)
            {
                problems.Add($"release {Short(transition.ReleaseId)} marked unhealthy on {job?.ErrorCode ?? "no job"}, not a measured failure");
            }
        }

        // Each environment ends as its last mutation says; active iff its live release is healthy; the symlink agrees.
        foreach (var site in mutations.Select(m => m.Site).Distinct())
        {
            var last = mutations.Last(m => m.Site == site);
            var environment = ledger.Environments.SingleOrDefault(e => e.Id == site.EnvironmentId);
            if (environment is null)
            {
                problems.Add($"site {site.Number}: environment not in the ledger");
                continue;
            }

            var live = ledger.Releases.SingleOrDefault(r => r.Id == environment.CurrentReleaseId);
            var expectedLive = last.Expected == Expected.RollBack ? last.Previous! : last.Release;
            var expectedStatus = last.Expected == Expected.Hold ? EnvironmentStatuses.Failed : EnvironmentStatuses.Active;
            if (environment.Status != expectedStatus || environment.CurrentReleaseId != expectedLive.Id)
            {
                problems.Add($"site {site.Number}: environment {environment.Status} on {Short(environment.CurrentReleaseId)}, expected {expectedStatus} on {Short(expectedLive.Id)}");
            }

            var healthy = live?.HealthStatus == ReleaseHealth.Healthy;
            if ((environment.Status == EnvironmentStatuses.Active) != healthy)
            {
                problems.Add($"site {site.Number}: environment {environment.Status} but its live release is {live?.HealthStatus ?? "missing"}");
            }

            if (environment.Status == EnvironmentStatuses.Failed)
            {
                var gate = ledger.Gates.Where(g => g.EnvironmentId == site.EnvironmentId).OrderBy(g => g.StartedAt).LastOrDefault();
                if (gate?.ErrorCode is null)
                {
                    problems.Add($"site {site.Number}: environment failed without a code");
                }
            }

            if (ledger.Sites.SingleOrDefault(s => s.Id == site.SiteId)?.Status is { } siteStatus && siteStatus != environment.Status)
            {
                problems.Add($"site {site.Number}: site {siteStatus}, its only environment {environment.Status}");
            }

            if (live is null || !string.Equals(site.CurrentTarget?.TrimEnd('/'), live.Path.TrimEnd('/'), StringComparison.Ordinal))
            {
                problems.Add($"site {site.Number}: current -> {site.CurrentTarget ?? "nothing"}, ledger says {live?.Path ?? "no release"}");
            }
        }

        // Nothing waits forever, nothing is left undelivered.
        foreach (var saga in ledger.Sagas.Where(s => WaitingStates.Contains(s.CurrentState)))
        {
            problems.Add($"saga of environment {Short(saga.CorrelationId)} still {saga.CurrentState}");
        }

        foreach (var row in ledger.Outbox)
        {
            problems.Add($"outbox holds {row.MessageType.Split(':').Last()} (due {row.EnqueueTime:HH:mm:ss}, {row.DeliveryAttempts} attempts{(row.GaveUpAt is null ? "" : ", given up")}: {row.LastError})");
        }

        if (!world.Embedded)
        {
            problems.AddRange(await QueueProblemsAsync(world, cancellationToken));
        }

        // At most one playbook per environment at a time (the WP-CLI stand-in saw another live run on its site).
        var overlaps = Path.Combine(world.SitesRoot, ".overlaps");
        if (File.Exists(overlaps))
        {
            problems.AddRange(File.ReadAllLines(overlaps).Take(3).Select(l => $"two playbooks on one environment: {l}"));
        }

        return problems;
    }

    public static string Short(Guid? id) => id?.ToString("N")[..8] ?? "none";

    // The queues' depths as the management API counts them. Its counts trail the broker by up to one statistics interval
    // (5 s): a message moved to an error queue a moment ago may not be counted yet, so a disagreement is read again for
    // up to 12 s before it counts as a problem.
    private static async Task<List<string>> QueueProblemsAsync(FaultWorld world, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow.AddSeconds(12);
        while (true)
        {
            var queues = await world.Stack.QueueDepthsAsync(world.Vhost!);
            for (var wait = 0; queues is null && wait < 40; wait++)
            {
                // A broker restarted a moment ago answers before it has counted its queues.
                await Task.Delay(250, cancellationToken);
                queues = await world.Stack.QueueDepthsAsync(world.Vhost!);
            }

            if (queues is null)
            {
                throw new InvalidOperationException("the management API does not answer with the queues' counts");
            }

            var problems = queues.Where(q => !FaultWorld.IsDeadLetter(q.Key) && q.Value > 0).Select(q => $"queue {q.Key} holds {q.Value}").ToList();
            var dead = queues.Where(q => FaultWorld.IsDeadLetter(q.Key)).Sum(q => q.Value);
            if (dead != world.ExpectedErrorMessages)
            {
                problems.Add($"{dead} messages in _error/_skipped queues, expected {world.ExpectedErrorMessages} ({string.Join(", ", queues.Where(q => FaultWorld.IsDeadLetter(q.Key) && q.Value > 0).Select(q => $"{q.Key}={q.Value}"))})");
            }

            if (problems.Count == 0 || DateTime.UtcNow > until)
            {
                return problems;
            }

            await Task.Delay(500, cancellationToken);
        }
    }
}
