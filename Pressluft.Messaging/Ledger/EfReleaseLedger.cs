using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Pressluft.Contracts;
using Pressluft.Messaging.Outbox;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Ledger;
using Pressluft.Sagas.Validation;

namespace Pressluft.Messaging.Ledger;

/// <summary>
/// The ledger on the message scope's <see cref="PressluftDbContext"/>. Methods stage changes in the change tracker;
/// whoever owns the message's unit of work (the inbox/outbox) writes them with the saga row. Text that may come from outside (URLs, payloads, error
/// messages and output, reasons) is stored redacted: the ledger never holds a credential.
/// </summary>
public sealed class EfReleaseLedger(PressluftDbContext db) : IReleaseLedger, ICommitParticipant
{
    private static readonly JsonSerializerOptions ErrorJson = new(JsonSerializerDefaults.Web);

    private readonly Dictionary<Guid, DateTime> _sitesToFollow = [];

    // Rows this unit of work looked up and did not find. A second look (a new environment's release is looked up by the
    // conflict check, then by the recording) asks only the change tracker, which holds the row if this unit of work has
    // added it since. A row that another transaction adds meanwhile fails this one's commit on its key, and the message
    // is retried in a new unit of work. It relies on that: a failed unit of work (its change tracker cleared) is never
    // continued in the same scope, and no ledger row is ever inserted by raw SQL or removed.
    private readonly HashSet<(Type Type, Guid Key)> _absent = [];

    // What CheckMutationAsync found recorded (untracked: who owns each row, and a release's path), for the rest of this
    // unit of work: recording the mutation asks again, and none of it ever changes once recorded.
    private readonly Dictionary<(KeyKind Kind, Guid Id), RecordedKey> _recorded = [];

    public async Task<MutationCheck> CheckMutationAsync(MutationCompleted mutation, CancellationToken cancellationToken)
    {
        await ReadRecordedKeysAsync(mutation, cancellationToken);
        var problems = new List<string>();
        if (Recorded<EnvironmentRecord>(KeyKind.Environment, mutation.EnvironmentId) is { } environment && environment.Owner != mutation.SiteId)
        {
            problems.Add($"environment {mutation.EnvironmentId} belongs to site {environment.Owner}, not {mutation.SiteId}");
        }

        foreach (var (field, release) in new[] { ("release", mutation.Release), ("previousRelease", mutation.PreviousRelease) })
        {
            if (release is null || Recorded<ReleaseRecord>(KeyKind.Release, release.Id) is not { } recorded)
            {
                continue;
            }

            if (recorded.Owner != mutation.EnvironmentId)
            {
                problems.Add($"{field} {release.Id} belongs to environment {recorded.Owner}, not {mutation.EnvironmentId}");
            }
            else if (recorded.Path != release.Path)
            {
                problems.Add($"{field} {release.Id} is recorded at {FieldRules.Quote(recorded.Path)}, not {FieldRules.Quote(release.Path)} (a release never moves)");
            }
        }

        return new MutationCheck(Recorded<GateRecord>(KeyKind.Gate, mutation.MutationJobId) is not null, problems);
    }

    // The mutation's gate (with its environment), site, environment (with its site) and releases (with their environment
    // and path) as recorded, in one round trip: the saga's admission checks every mutation with it, after the saga's row
    // is loaded, and asks nothing of these rows again before it records the mutation. Only what the change tracker, an
    // earlier read or an earlier miss does not answer is read; what the query does not find is remembered as absent, as
    // FindAsync would.
    private async Task ReadRecordedKeysAsync(MutationCompleted mutation, CancellationToken cancellationToken)
    {
        var gateId = Unknown<GateRecord>(KeyKind.Gate, mutation.MutationJobId);
        var siteId = Unknown<SiteRecord>(KeyKind.Site, mutation.SiteId);
        var environmentId = Unknown<EnvironmentRecord>(KeyKind.Environment, mutation.EnvironmentId);
        var releaseId = Unknown<ReleaseRecord>(KeyKind.Release, mutation.Release?.Id);
        var previousId = Unknown<ReleaseRecord>(KeyKind.Release, mutation.PreviousRelease?.Id);
        if (gateId is null && siteId is null && environmentId is null && releaseId is null && previousId is null)
        {
            return;
        }

        var rows = await RecordedKeyQueries.GetValue(db.Model, _ => EF.CompileAsyncQuery(
            (PressluftDbContext context, Guid gate, Guid site, Guid environment, Guid release, Guid previous) =>
                context.Gates.AsNoTracking().Where(g => g.MutationJobId == gate)
                    .Select(g => new RecordedKey { Kind = KeyKind.Gate, Id = g.MutationJobId, Owner = g.EnvironmentId, Path = "" })
                    .Concat(context.Sites.AsNoTracking().Where(s => s.Id == site)
                        .Select(s => new RecordedKey { Kind = KeyKind.Site, Id = s.Id, Owner = s.Id, Path = "" }))
                    .Concat(context.Environments.AsNoTracking().Where(e => e.Id == environment)
                        .Select(e => new RecordedKey { Kind = KeyKind.Environment, Id = e.Id, Owner = e.SiteId, Path = "" }))
                    .Concat(context.Releases.AsNoTracking().Where(r => r.Id == release || r.Id == previous)
                        .Select(r => new RecordedKey { Kind = KeyKind.Release, Id = r.Id, Owner = r.EnvironmentId, Path = r.Path }))))(
            db, gateId ?? Guid.Empty, siteId ?? Guid.Empty, environmentId ?? Guid.Empty, releaseId ?? Guid.Empty, previousId ?? Guid.Empty)
            .ToListAsync(cancellationToken);
        foreach (var row in rows)
        {
            _recorded[(row.Kind, row.Id)] = row;
        }

        MarkAbsentUnlessRead<GateRecord>(KeyKind.Gate, gateId);
        MarkAbsentUnlessRead<SiteRecord>(KeyKind.Site, siteId);
        MarkAbsentUnlessRead<EnvironmentRecord>(KeyKind.Environment, environmentId);
        MarkAbsentUnlessRead<ReleaseRecord>(KeyKind.Release, releaseId);
        MarkAbsentUnlessRead<ReleaseRecord>(KeyKind.Release, previousId);
    }

    // The row of this key as far as the check needs it: tracked by this unit of work (added or loaded), else as the check
    // read it; null when neither.
    private RecordedKey? Recorded<T>(KeyKind kind, Guid id)
        where T : class =>
        db.FindTracked<T>(id) switch
        {
            GateRecord g => new RecordedKey { Kind = kind, Id = id, Owner = g.EnvironmentId, Path = "" },
            SiteRecord => new RecordedKey { Kind = kind, Id = id, Owner = id, Path = "" },
            EnvironmentRecord e => new RecordedKey { Kind = kind, Id = id, Owner = e.SiteId, Path = "" },
            ReleaseRecord r => new RecordedKey { Kind = kind, Id = id, Owner = r.EnvironmentId, Path = r.Path },
            _ => _recorded.GetValueOrDefault((kind, id)),
        };

    // The key to read, or null when there is none or this unit of work knows its row already (recorded, or absent).
    private Guid? Unknown<T>(KeyKind kind, Guid? key)
        where T : class =>
        key is { } id && Recorded<T>(kind, id) is null && !_absent.Contains((typeof(T), id)) ? id : null;

    private void MarkAbsentUnlessRead<T>(KeyKind kind, Guid? key)
    {
        if (key is { } id && !_recorded.ContainsKey((kind, id)))
        {
            _absent.Add((typeof(T), id));
        }
    }

    // A compiled query refuses a context of another model (SQLite and PostgreSQL in one test process): one per model.
    private static readonly ConditionalWeakTable<IModel, Func<PressluftDbContext, Guid, Guid, Guid, Guid, Guid, IAsyncEnumerable<RecordedKey>>> RecordedKeyQueries = new();

    private enum KeyKind
    {
        Gate,
        Site,
        Environment,
        Release,
    }

    // A gate with its environment, a site (its own owner), an environment with its site, or a release with its
    // environment and path (member-initialised: EF projects every side of the union into it).
    private sealed class RecordedKey
    {
        public KeyKind Kind { get; init; }

        public Guid Id { get; init; }

        public Guid Owner { get; init; }

        public string Path { get; init; } = "";
    }

    public async Task<LedgerEnvironment?> FindEnvironmentAsync(Guid environmentId, CancellationToken cancellationToken) =>
        await FindAsync<EnvironmentRecord>(environmentId, cancellationToken) is { } environment
            ? new LedgerEnvironment(environment.Id, environment.SiteId, environment.Status, environment.CurrentReleaseId)
            : null;

    public async Task<MutationRecorded> RecordMutationAsync(MutationCompleted mutation, CancellationToken cancellationToken)
    {
        var (environment, previousCurrent) = await RecordLiveReleaseAsync(mutation, cancellationToken);
        var change = await ChangeEnvironmentStatusAsync(environment, EnvironmentStatuses.InProgressFor(mutation.JobType),
            $"{mutation.JobType} {mutation.MutationJobId} completed; gating release {mutation.Release.Id}", DateTime.UtcNow, cancellationToken);
        return new MutationRecorded(previousCurrent, change);
    }

    public async Task<MutationRecorded> RecordHeldMutationAsync(MutationCompleted mutation, CancellationToken cancellationToken)
    {
        var (_, previousCurrent) = await RecordLiveReleaseAsync(mutation, cancellationToken);
        return new MutationRecorded(previousCurrent, null);
    }

    // The site, the environment and the releases as the mutation left them, the new release current.
    private async Task<(EnvironmentRecord Environment, Guid? PreviousCurrent)> RecordLiveReleaseAsync(MutationCompleted mutation, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var environment = await FindAsync<EnvironmentRecord>(mutation.EnvironmentId, cancellationToken);
        if (environment is null)
        {
            // The site is read only for a new environment (a recorded environment's site is recorded with it).
            var site = await FindAsync<SiteRecord>(mutation.SiteId, cancellationToken);
            if (site is null)
            {
                var slug = mutation.SiteSlug ?? mutation.SiteId.ToString();
                site = new SiteRecord { Id = mutation.SiteId, Slug = slug, Name = slug, Status = EnvironmentStatuses.Active, UpdatedAt = now };
                db.Sites.Add(site);
            }

            environment = new EnvironmentRecord
            {
                Id = mutation.EnvironmentId,
                SiteId = mutation.SiteId,
                Slug = mutation.EnvironmentSlug ?? mutation.EnvironmentType,
                EnvironmentType = mutation.EnvironmentType,
                Status = EnvironmentStatuses.Active,
                UpdatedAt = now,
            };
            db.Environments.Add(environment);
            site.PrimaryEnvironmentId ??= mutation.EnvironmentType == "production" ? environment.Id : null;
        }
        else if (environment.SiteId != mutation.SiteId)
        {
            throw new InvalidOperationException($"Environment {mutation.EnvironmentId} belongs to site {environment.SiteId}, not {mutation.SiteId}.");
        }

        environment.NodeId = mutation.Node.Id;
        environment.PreviewUrl = SecretRedactor.Redact(mutation.EnvironmentUrl);
        if (mutation.EnvironmentSlug is not null)
        {
            environment.Slug = mutation.EnvironmentSlug;
        }

        var previousCurrent = environment.CurrentReleaseId;
        if (mutation.PreviousRelease is { } previous)
        {
            await EnsureReleaseAsync(mutation.EnvironmentId, previous, now.AddTicks(-1), cancellationToken);
        }

        await EnsureReleaseAsync(mutation.EnvironmentId, mutation.Release, now, cancellationToken);
        environment.CurrentReleaseId = mutation.Release.Id;
        environment.StateVersion++;
        environment.UpdatedAt = now;
        return (environment, previousCurrent);
    }

    public async Task<LedgerRelease?> FindReleaseAsync(Guid releaseId, CancellationToken cancellationToken) =>
        ToLedger(await FindAsync<ReleaseRecord>(releaseId, cancellationToken));

    public async Task<LedgerRelease?> NewestHealthyReleaseAsync(Guid environmentId, Guid excluding, CancellationToken cancellationToken) =>
        ToLedger(await db.Releases
            .Where(r => r.EnvironmentId == environmentId && r.Id != excluding && r.HealthStatus == ReleaseHealth.Healthy)
            .OrderByDescending(r => r.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken));

    public Task StartGateAsync(GateStart gate, CancellationToken cancellationToken)
    {
        db.Gates.Add(new GateRecord
        {
            MutationJobId = gate.MutationJobId,
            MutationJobType = gate.MutationJobType,
            SiteId = gate.SiteId,
            EnvironmentId = gate.EnvironmentId,
            ReleaseId = gate.ReleaseId,
            Mode = gate.Mode,
            StartedAt = gate.StartedAt,
        });
        return Task.CompletedTask;
    }

    public async Task CompleteGateAsync(Guid mutationJobId, string outcome, string? errorCode, string reason, DateTime at, CancellationToken cancellationToken)
    {
        var gate = await FindAsync<GateRecord>(mutationJobId, cancellationToken)
            ?? throw new InvalidOperationException($"No gate for mutation {mutationJobId}.");
        gate.Outcome = outcome;
        gate.ErrorCode = errorCode;
        gate.Reason = Stored(reason);
        gate.CompletedAt = at;
    }

    public Task QueueJobAsync(JobQueued job, CancellationToken cancellationToken)
    {
        db.Jobs.Add(new JobRecord
        {
            Id = job.JobId,
            JobType = job.JobType,
            Status = JobStatuses.Queued,
            SiteId = job.SiteId,
            EnvironmentId = job.EnvironmentId,
            NodeId = job.NodeId,
            MutationJobId = job.MutationJobId,
            PayloadJson = SecretRedactor.RedactJson(job.PayloadJson),
            MaxAttempts = job.MaxAttempts,
            RunAfter = job.QueuedAt,
            CreatedAt = job.QueuedAt,
        });
        return Task.CompletedTask;
    }

    public async Task MarkJobRunningAsync(Guid jobId, int attempt, string worker, DateTime at, CancellationToken cancellationToken)
    {
        var job = await JobAsync(jobId, cancellationToken);
        if (job.Status is JobStatuses.Queued or JobStatuses.Running)
        {
            job.Status = JobStatuses.Running;
            job.AttemptCount = Math.Max(job.AttemptCount, attempt);
            job.StartedAt ??= at;
            job.LockedAt = at;
            job.LockedBy = worker;
        }
    }

    public async Task SucceedJobAsync(Guid jobId, DateTime at, CancellationToken cancellationToken)
    {
        var job = await JobAsync(jobId, cancellationToken);
        Finish(job, JobStatuses.Succeeded, at);
        job.ErrorCode = null;
        job.ErrorMessage = null;
    }

    public async Task RecordAttemptErrorAsync(Guid jobId, int attempt, JobError error, CancellationToken cancellationToken)
    {
        var job = await JobAsync(jobId, cancellationToken);
        job.AttemptCount = Math.Max(job.AttemptCount, attempt);
        job.Status = JobStatuses.Running;
        SetError(job, error);
    }

    public async Task FailJobAsync(Guid jobId, JobError error, DateTime at, CancellationToken cancellationToken)
    {
        var job = await JobAsync(jobId, cancellationToken);
        Finish(job, JobStatuses.Failed, at);
        SetError(job, error);
    }

    public async Task CancelJobAsync(Guid jobId, JobError reason, DateTime at, CancellationToken cancellationToken)
    {
        var job = await JobAsync(jobId, cancellationToken);
        Finish(job, JobStatuses.Cancelled, at);
        SetError(job, reason);
    }

    public async Task<ReleaseHealthChanged?> ChangeReleaseHealthAsync(Guid releaseId, string to, string reason, Guid? jobId, DateTime at, CancellationToken cancellationToken)
    {
        var release = await FindAsync<ReleaseRecord>(releaseId, cancellationToken)
            ?? throw new InvalidOperationException($"Release {releaseId} is not in the ledger.");
        var from = release.HealthStatus;
        if (!ReleaseHealth.CanTransition(from, to))
        {
            return null;
        }

        release.HealthStatus = to;
        db.ReleaseHealthTransitions.Add(new ReleaseHealthTransitionRecord
        {
            ReleaseId = releaseId,
            FromStatus = from,
            ToStatus = to,
            Reason = Stored(reason),
            JobId = jobId,
            At = at,
        });
        var environment = await FindAsync<EnvironmentRecord>(release.EnvironmentId, cancellationToken);
        return new ReleaseHealthChanged
        {
            ReleaseId = releaseId,
            EnvironmentId = release.EnvironmentId,
            SiteId = environment?.SiteId ?? Guid.Empty,
            From = from,
            To = to,
            Reason = reason,
            JobId = jobId,
            ChangedAt = new DateTimeOffset(at, TimeSpan.Zero),
        };
    }

    public async Task<EnvironmentStatusChanged?> ChangeEnvironmentStatusAsync(Guid environmentId, string to, string reason, DateTime at, CancellationToken cancellationToken)
    {
        var environment = await FindAsync<EnvironmentRecord>(environmentId, cancellationToken)
            ?? throw new InvalidOperationException($"Environment {environmentId} is not in the ledger.");
        return await ChangeEnvironmentStatusAsync(environment, to, reason, at, cancellationToken);
    }

    public async Task SetCurrentReleaseAsync(Guid environmentId, Guid releaseId, CancellationToken cancellationToken)
    {
        var environment = await FindAsync<EnvironmentRecord>(environmentId, cancellationToken)
            ?? throw new InvalidOperationException($"Environment {environmentId} is not in the ledger.");
        var release = await FindAsync<ReleaseRecord>(releaseId, cancellationToken);
        if (release is null || release.EnvironmentId != environmentId)
        {
            throw new InvalidOperationException($"Release {releaseId} is not a release of environment {environmentId}.");
        }

        environment.CurrentReleaseId = releaseId;
        environment.StateVersion++;
        environment.UpdatedAt = DateTime.UtcNow;
    }

    private async Task<EnvironmentStatusChanged?> ChangeEnvironmentStatusAsync(EnvironmentRecord environment, string to, string reason, DateTime at, CancellationToken cancellationToken)
    {
        var from = environment.Status;
        if (from == to)
        {
            return null;
        }

        environment.Status = to;
        environment.StateVersion++;
        environment.UpdatedAt = at;
        db.EnvironmentStatusChanges.Add(new EnvironmentStatusChangeRecord
        {
            EnvironmentId = environment.Id,
            FromStatus = from,
            ToStatus = to,
            Reason = Stored(reason),
            At = at,
        });
        await FollowEnvironmentsAsync(environment.SiteId, at, cancellationToken);
        return new EnvironmentStatusChanged
        {
            EnvironmentId = environment.Id,
            SiteId = environment.SiteId,
            From = from,
            To = to,
            Reason = reason,
            CurrentReleaseId = environment.CurrentReleaseId,
            ChangedAt = new DateTimeOffset(at, TimeSpan.Zero),
        };
    }

    // A site's status follows all its environments, and two of them may change at once in two transactions: the status
    // is worked out at commit, under a lock on the site row (see TakeStatements).
    private Task FollowEnvironmentsAsync(Guid siteId, DateTime at, CancellationToken cancellationToken)
    {
        _sitesToFollow[siteId] = at;
        return Task.CompletedTask;
    }

    public bool HasWork => _sitesToFollow.Count > 0;

    /// <summary>
    /// Sets each touched site's status from its environments as committed now (any failed, else any in progress, else
    /// active). Runs inside the unit of work's transaction after its own changes are written: PostgreSQL first locks the
    /// site row, and the update that follows is a statement of its own, so it reads the environments as committed once
    /// the lock is held (of two transactions the second sees the first's environment); SQLite has one writer.
    /// </summary>
    public IReadOnlyList<CommitStatement> TakeStatements(LedgerDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        var statements = new List<CommitStatement>(_sitesToFollow.Count * 2);
        foreach (var (siteId, at) in _sitesToFollow.OrderBy(s => s.Key))
        {
            if (dialect.IsPostgres)
            {
                statements.Add(new CommitStatement(LockSiteSql, [siteId]));
            }

            statements.Add(new CommitStatement(FollowEnvironmentsSql, [at, siteId, EnvironmentStatuses.Failed, EnvironmentStatuses.Active]));
        }

        _sitesToFollow.Clear();
        return statements;
    }

    private const string LockSiteSql = "SELECT 1 FROM sites WHERE id = {0} FOR UPDATE";

    // {0} the time, {1} the site, {2} failed, {3} active: any environment failed, else any not active (in progress),
    // else active; the row is written only when that changes it.
    private const string FollowEnvironmentsSql = """
        UPDATE sites SET status = derived.status, state_version = sites.state_version + 1, updated_at = {0}
        FROM (SELECT COALESCE(
                (SELECT e.status FROM environments e WHERE e.site_id = {1} AND e.status = {2} LIMIT 1),
                (SELECT e.status FROM environments e WHERE e.site_id = {1} AND e.status <> {3} ORDER BY e.status LIMIT 1),
                {3}) AS status) AS derived
        WHERE sites.id = {1} AND sites.status <> derived.status
        """;

    private async Task EnsureReleaseAsync(Guid environmentId, ReleaseRef release, DateTime createdAt, CancellationToken cancellationToken)
    {
        // Whose it is is all this needs of a recorded release: the check may have read that already.
        var owner = Recorded<ReleaseRecord>(KeyKind.Release, release.Id)?.Owner ?? (await FindAsync<ReleaseRecord>(release.Id, cancellationToken))?.EnvironmentId;
        if (owner is null)
        {
            db.Releases.Add(new ReleaseRecord
            {
                Id = release.Id,
                EnvironmentId = environmentId,
                SourceType = "unknown",
                Path = release.Path,
                HealthStatus = ReleaseHealth.Unknown,
                CreatedAt = createdAt,
            });
        }
        else if (owner != environmentId)
        {
            throw new InvalidOperationException($"Release {release.Id} belongs to environment {owner}, not {environmentId}.");
        }
    }

    private async Task<T?> FindAsync<T>(Guid key, CancellationToken cancellationToken)
        where T : class
    {
        if (_absent.Contains((typeof(T), key)))
        {
            return db.FindTracked<T>(key);
        }

        var found = await db.FindByKeyAsync<T>(key, cancellationToken);
        if (found is null)
        {
            _absent.Add((typeof(T), key));
        }

        return found;
    }

    private async Task<JobRecord> JobAsync(Guid jobId, CancellationToken cancellationToken) =>
        await FindAsync<JobRecord>(jobId, cancellationToken) ?? throw new InvalidOperationException($"Job {jobId} is not in the ledger.");

    private static void Finish(JobRecord job, string status, DateTime at)
    {
        job.Status = status;
        job.FinishedAt = at;
        job.LockedAt = null;
        job.LockedBy = null;
    }

    private static void SetError(JobRecord job, JobError error)
    {
        job.ErrorCode = error.Code;
        job.ErrorMessage = Stored(error.Message);
        job.ErrorJson = SecretRedactor.RedactJson(JsonSerializer.Serialize(error, ErrorJson));
    }

    /// <summary>Free text as the ledger keeps it: redacted and at most 2,000 characters.</summary>
    private static string Stored(string value)
    {
        var redacted = SecretRedactor.Redact(value);
        return redacted.Length <= 2000 ? redacted : redacted[..2000];
    }

    private static LedgerRelease? ToLedger(ReleaseRecord? release) =>
        release is null ? null : new LedgerRelease(release.Id, release.EnvironmentId, release.Path, release.HealthStatus, release.CreatedAt);
}
