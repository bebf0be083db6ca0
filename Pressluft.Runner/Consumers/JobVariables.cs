using Pressluft.Contracts;

namespace Pressluft.Runner.Consumers;

/// <summary>The upstream extra-vars every playbook gets: flat, underscore-separated ids and names.</summary>
internal static class JobVariables
{
    public static Dictionary<string, object?> Common(Guid jobId, Guid siteId, string? siteSlug, Guid environmentId, string? environmentSlug,
        string environmentType, NodeRef node) => new()
        {
            ["job_id"] = jobId.ToString(),
            ["site_id"] = siteId.ToString(),
            ["site_slug"] = siteSlug ?? siteId.ToString(),
            ["environment_id"] = environmentId.ToString(),
            ["environment_slug"] = environmentSlug ?? environmentType,
            ["environment_type"] = environmentType,
            ["node_hostname"] = node.Hostname,
            ["node_ssh_user"] = node.SshUser,
        };

    public static string Worker { get; } = $"{System.Environment.MachineName}/{System.Environment.ProcessId}";
}
