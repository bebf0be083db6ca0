using MassTransit;
using Pressluft.Contracts;

namespace Pressluft.Sagas.StateMachines;

/// <summary>
/// One instance per environment (<see cref="CorrelationId"/> = environment id): the environment's gate lock and
/// what the running gate needs to answer its next message.
/// </summary>
public class ReleaseLifecycleState : SagaStateMachineInstance, ISagaVersion
{
    public Guid CorrelationId { get; set; }
    public string CurrentState { get; set; } = null!;
    public int Version { get; set; }

    public Guid SiteId { get; set; }
    public string? SiteSlug { get; set; }
    public string? EnvironmentSlug { get; set; }
    public string EnvironmentType { get; set; } = "production";
    public Guid NodeId { get; set; }
    public string NodeHostname { get; set; } = "";
    public int NodeSshPort { get; set; } = 22;
    public string NodeSshUser { get; set; } = "";
    public string EnvironmentUrl { get; set; } = "";

    /// <summary>The mutation being gated (or last gated).</summary>
    public Guid MutationJobId { get; set; }
    public string MutationJobType { get; set; } = "";
    public DateTime MutationCompletedAt { get; set; }
    public string? BackupReference { get; set; }

    /// <summary>Guarded-config mode read when the mutation event was handled.</summary>
    public string GateMode { get; set; } = "";

    /// <summary>The release the mutation made live.</summary>
    public Guid ReleaseId { get; set; }
    public string ReleasePath { get; set; } = "";

    /// <summary>The release that was live before the mutation, if known.</summary>
    public Guid? PriorReleaseId { get; set; }

    /// <summary>The code that made the gate roll back (or fail), reported with the gate's outcome.</summary>
    public string? FailureCode { get; set; }

    public Guid? RollbackTargetId { get; set; }
    public string? RollbackTargetPath { get; set; }

    /// <summary>The release the current health check job checks: the gated release, or the restored one after a rollback.</summary>
    public Guid? CheckedReleaseId { get; set; }
    public string? CheckedReleasePath { get; set; }

    /// <summary>The job whose answer the gate waits for; answers for any other job are stale.</summary>
    public Guid? CurrentJobId { get; set; }

    /// <summary>The attempt of <see cref="CurrentJobId"/> being waited for (health checks are retried when inconclusive).</summary>
    public int Attempt { get; set; }

    /// <summary>The scheduled deadline of the current attempt, cancelled when its answer comes.</summary>
    public Guid? DeadlineId { get; set; }

    public DateTime UpdatedAt { get; set; }

    /// <summary>Whether the gate waits for exactly this job and attempt; any other answer is stale.</summary>
    public bool Awaits(IJobAnswer answer) => CurrentJobId == answer.JobId && Attempt == answer.Attempt;
}
