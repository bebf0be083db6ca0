using Pressluft.Contracts;

namespace Pressluft.Sagas.Ledger;

/// <summary>
/// The gate's view of the ledger. Implementations stage changes on the message's unit of work and never commit on
/// their own: the message's inbox/outbox commits them with the saga row and the outgoing messages, so one saga
/// transition is one transaction.
/// Every status change returns what changed, so the caller can publish the matching event.
/// </summary>
public interface IReleaseLedger
{
    /// <summary>
    /// What the ledger says about <paramref name="mutation"/> before a gate opens for it: whether a gate for its job was
    /// started already (a duplicate), and what in it contradicts the ledger. Also remembers, for this unit of work, what
    /// recording it will need to know (whether its site, environment and releases are recorded, and where).
    /// </summary>
    Task<MutationCheck> CheckMutationAsync(MutationCompleted mutation, CancellationToken cancellationToken);

    /// <summary>The environment's status and current release, when the ledger knows it.</summary>
    Task<LedgerEnvironment?> FindEnvironmentAsync(Guid environmentId, CancellationToken cancellationToken);

    /// <summary>
    /// Records the mutation: upserts site, environment and releases, makes <see cref="MutationCompleted.Release"/>
    /// current and puts the environment in the mutation's in-progress status.
    /// </summary>
    Task<MutationRecorded> RecordMutationAsync(MutationCompleted mutation, CancellationToken cancellationToken);

    /// <summary>
    /// Records a mutation of a failed environment as <see cref="RecordMutationAsync"/> does (its release is live now), but
    /// leaves the environment failed: its gate waits for an operator's reset.
    /// </summary>
    Task<MutationRecorded> RecordHeldMutationAsync(MutationCompleted mutation, CancellationToken cancellationToken);

    Task<LedgerRelease?> FindReleaseAsync(Guid releaseId, CancellationToken cancellationToken);

    /// <summary>The newest healthy release of the environment other than <paramref name="excluding"/>.</summary>
    Task<LedgerRelease?> NewestHealthyReleaseAsync(Guid environmentId, Guid excluding, CancellationToken cancellationToken);

    Task StartGateAsync(GateStart gate, CancellationToken cancellationToken);

    /// <summary>Records how the gate ended and why, in one sentence.</summary>
    Task CompleteGateAsync(Guid mutationJobId, string outcome, string? errorCode, string reason, DateTime at, CancellationToken cancellationToken);

    Task QueueJobAsync(JobQueued job, CancellationToken cancellationToken);

    Task MarkJobRunningAsync(Guid jobId, int attempt, string worker, DateTime at, CancellationToken cancellationToken);

    Task SucceedJobAsync(Guid jobId, DateTime at, CancellationToken cancellationToken);

    /// <summary>Records an error on a job that is still going to be retried (it stays running).</summary>
    Task RecordAttemptErrorAsync(Guid jobId, int attempt, JobError error, CancellationToken cancellationToken);

    Task FailJobAsync(Guid jobId, JobError error, DateTime at, CancellationToken cancellationToken);

    Task CancelJobAsync(Guid jobId, JobError reason, DateTime at, CancellationToken cancellationToken);

    /// <summary>Moves a release's health; null when the transition is not allowed or changes nothing.</summary>
    Task<ReleaseHealthChanged?> ChangeReleaseHealthAsync(Guid releaseId, string to, string reason, Guid? jobId, DateTime at, CancellationToken cancellationToken);

    /// <summary>Sets the environment's status (and the site's, which follows its environments); null when unchanged.</summary>
    Task<EnvironmentStatusChanged?> ChangeEnvironmentStatusAsync(Guid environmentId, string to, string reason, DateTime at, CancellationToken cancellationToken);

    Task SetCurrentReleaseAsync(Guid environmentId, Guid releaseId, CancellationToken cancellationToken);
}

/// <summary>A release as the ledger knows it.</summary>
public sealed record LedgerRelease(Guid Id, Guid EnvironmentId, string Path, string HealthStatus, DateTime CreatedAt);

/// <summary>An environment as the ledger knows it.</summary>
public sealed record LedgerEnvironment(Guid Id, Guid SiteId, string Status, Guid? CurrentReleaseId);

/// <summary>The ledger's answer to a mutation before its gate opens (<see cref="IReleaseLedger.CheckMutationAsync"/>).</summary>
/// <param name="AlreadyGated">Whether a gate for the mutation's job was started already: a duplicate.</param>
/// <param name="Conflicts">
/// One sentence per contradiction: an environment recorded under another site, a release recorded under another
/// environment or with another path; empty when the mutation fits.
/// </param>
public sealed record MutationCheck(bool AlreadyGated, IReadOnlyList<string> Conflicts);

/// <summary>What recording a mutation found and changed.</summary>
/// <param name="PreviousCurrentReleaseId">The environment's current release before the mutation, if any.</param>
/// <param name="StatusChange">The environment's status change, if any.</param>
public sealed record MutationRecorded(Guid? PreviousCurrentReleaseId, EnvironmentStatusChanged? StatusChange);

/// <summary>A gate being started.</summary>
public sealed record GateStart(
    Guid MutationJobId,
    string MutationJobType,
    Guid SiteId,
    Guid EnvironmentId,
    Guid ReleaseId,
    string Mode,
    DateTime StartedAt);

/// <summary>A job being queued.</summary>
public sealed record JobQueued(
    Guid JobId,
    string JobType,
    Guid SiteId,
    Guid EnvironmentId,
    Guid NodeId,
    Guid MutationJobId,
    int MaxAttempts,
    string PayloadJson,
    DateTime QueuedAt);
