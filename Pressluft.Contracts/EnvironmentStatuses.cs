namespace Pressluft.Contracts;

/// <summary>Site and environment statuses (<c>sites.status</c>, <c>environments.status</c>).</summary>
public static class EnvironmentStatuses
{
    /// <summary>Serving its current release; no mutation or gate in progress.</summary>
    public const string Active = "active";

    /// <summary>Being cloned.</summary>
    public const string Cloning = "cloning";

    /// <summary>A deploy or promotion is in progress, including its health gate.</summary>
    public const string Deploying = "deploying";

    /// <summary>A restore is in progress, including its health gate.</summary>
    public const string Restoring = "restoring";

    /// <summary>Needs an operator: only an explicit reset returns it to <see cref="Active"/>.</summary>
    public const string Failed = "failed";

    /// <summary>The in-progress status a gated mutation leaves the environment in while its gate runs.</summary>
    public static string InProgressFor(string mutationJobType) =>
        mutationJobType == JobTypes.EnvRestore ? Restoring : Deploying;
}
