using Pressluft.Contracts;
using Pressluft.Runner.Ansible;

namespace Pressluft.Runner.Consumers;

/// <summary>
/// What <c>release-rollback.yml</c> gets: the job's values (codes and ids, never a sentence a node may have written) as
/// host variables, the configuration as extra-vars. Every value is written as data (<see cref="AnsibleData"/>).
/// </summary>
public static class ReleaseRollbackVariables
{
    /// <summary>The module that switches <c>current</c>.</summary>
    public const string SwitchModule = "pressluft.gate.release_switch";

    /// <summary>The names <see cref="Shared"/> writes.</summary>
    public static IReadOnlySet<string> SharedNames { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "sites_root", "rollback_reload_services", "rollback_fastcgi_cache_path",
    };

    public static Dictionary<string, object?> Host(RollbackRequested request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var variables = JobVariables.Common(request.JobId, request.SiteId, request.SiteSlug, request.EnvironmentId, request.EnvironmentSlug,
            request.EnvironmentType, request.Node);
        variables["release_path"] = request.ToRelease.Path;
        variables["rollback_from_path"] = request.FromRelease.Path;
        // Codes and ids only: the reason sentence may quote a node's output, so it never reaches a playbook.
        variables["rollback_reason_code"] = request.ReasonCode;
        variables["rollback_job_id"] = request.JobId.ToString();
        variables["rollback_mutation_job_id"] = request.MutationJobId?.ToString() ?? "";
        return variables;
    }

    public static Dictionary<string, object?> Shared(AnsibleOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new Dictionary<string, object?>
        {
            ["sites_root"] = settings.SitesRoot.TrimEnd('/'),
            ["rollback_reload_services"] = settings.ReloadServices,
            ["rollback_fastcgi_cache_path"] = settings.FastCgiCachePath ?? "",
        };
    }
}
