namespace Pressluft.Contracts;

/// <summary>Job types as the Pressluft ledger spells them (<c>jobs.job_type</c>).</summary>
public static class JobTypes
{
    /// <summary>Deploys a release to an environment; health-gated.</summary>
    public const string EnvDeploy = "env_deploy";

    /// <summary>Restores an environment from a backup; health-gated.</summary>
    public const string EnvRestore = "env_restore";

    /// <summary>Promotes staging to production (the target environment is gated).</summary>
    public const string EnvPromote = "env_promote";

    /// <summary>Runs <c>ansible/playbooks/health-check.yml</c> against the live release.</summary>
    public const string HealthCheck = "health_check";

    /// <summary>Runs <c>ansible/playbooks/release-rollback.yml</c> to restore the prior release.</summary>
    public const string ReleaseRollback = "release_rollback";

    /// <summary>The mutation job types whose completion this service gates.</summary>
    public static IReadOnlyList<string> Gated { get; } = [EnvDeploy, EnvRestore, EnvPromote];

    /// <summary>Whether <paramref name="jobType"/> is a mutation this service gates.</summary>
    public static bool IsGated(string? jobType) => jobType is not null && Gated.Contains(jobType, StringComparer.Ordinal);
}
