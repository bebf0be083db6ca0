using Pressluft.Contracts;
using Pressluft.Runner.Ansible;

namespace Pressluft.Runner.Consumers;

/// <summary>
/// What <c>health-check.yml</c> gets: each job's own values as host variables (several environments may share a run),
/// the configuration as extra-vars shared by the run. Every value is written as data (<see cref="AnsibleData"/>).
/// </summary>
public static class HealthCheckVariables
{
    /// <summary>The module whose result ends a host's health check.</summary>
    public const string ChecksModule = "pressluft.gate.health_checks";

    /// <summary>The names <see cref="Shared"/> writes.</summary>
    public static IReadOnlySet<string> SharedNames { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "wp_cli_path", "health_check_timeout", "health_check_retries", "health_check_retry_delay", "health_check_validate_certs",
        "health_check_fatal_markers_enabled",
    };

    /// <summary>The job's own values: the upstream flat ids, the release and the URL.</summary>
    public static Dictionary<string, object?> Host(HealthCheckRequested request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var variables = JobVariables.Common(request.JobId, request.SiteId, request.SiteSlug, request.EnvironmentId, request.EnvironmentSlug,
            request.EnvironmentType, request.Node);
        variables["release_path"] = request.Release.Path;
        variables["health_check_url"] = request.EnvironmentUrl;
        return variables;
    }

    /// <summary>The configuration every check of a run shares.</summary>
    public static Dictionary<string, object?> Shared(AnsibleOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new Dictionary<string, object?>
        {
            ["wp_cli_path"] = settings.WpCliPath,
            ["health_check_timeout"] = settings.CheckTimeoutSeconds,
            ["health_check_retries"] = settings.CheckRetries,
            ["health_check_retry_delay"] = settings.CheckRetryDelaySeconds,
            ["health_check_validate_certs"] = settings.ValidateCertificates,
            ["health_check_fatal_markers_enabled"] = settings.FatalMarkerCheck,
        };
    }
}
