using Microsoft.Extensions.DependencyInjection;
using Pressluft.Runner.Ansible;

namespace Pressluft.Runner.Tests.Support;

/// <summary>
/// Runs the real playbooks straight through <see cref="AnsiblePlaybookRunner"/>, past the consumers and their field
/// rules, with the variables the consumers pass (any of them replaced): what a playbook does with a value the rules
/// would have refused.
/// </summary>
internal static class PlaybookRuns
{
    public static Dictionary<string, object?> HealthCheckVariables(AnsibleWorld world, string releasePath) => new()
    {
        ["job_id"] = Guid.NewGuid().ToString(),
        ["site_id"] = world.Site.SiteId.ToString(),
        ["site_slug"] = "shop",
        ["environment_id"] = world.Site.EnvironmentId.ToString(),
        ["environment_slug"] = "production",
        ["environment_type"] = "production",
        ["node_hostname"] = world.Site.Node.Hostname,
        ["node_ssh_user"] = world.Site.Node.SshUser,
        ["release_path"] = releasePath,
        ["health_check_url"] = world.Server.Url.ToString(),
        ["wp_cli_path"] = world.WpCliPath,
        ["health_check_timeout"] = 5,
        ["health_check_retries"] = 0,
        ["health_check_retry_delay"] = 0,
        ["health_check_validate_certs"] = true,
        ["health_check_fatal_markers_enabled"] = true,
    };

    public static Dictionary<string, object?> RollbackVariables(AnsibleWorld world, string fromPath, string toPath) => new()
    {
        ["job_id"] = Guid.NewGuid().ToString(),
        ["site_id"] = world.Site.SiteId.ToString(),
        ["site_slug"] = "shop",
        ["environment_id"] = world.Site.EnvironmentId.ToString(),
        ["environment_slug"] = "production",
        ["environment_type"] = "production",
        ["node_hostname"] = world.Site.Node.Hostname,
        ["node_ssh_user"] = world.Site.Node.SshUser,
        ["sites_root"] = world.SitesRoot,
        ["release_path"] = toPath,
        ["rollback_from_path"] = fromPath,
        ["rollback_reason_code"] = "HEALTH_CHECK_FAILED",
        ["rollback_job_id"] = Guid.NewGuid().ToString(),
        ["rollback_mutation_job_id"] = Guid.NewGuid().ToString(),
        ["rollback_reload_services"] = Array.Empty<string>(),
        ["rollback_fastcgi_cache_path"] = "",
    };

    public static Task<PlaybookOutcome> HealthCheckAsync(IServiceProvider provider, AnsibleWorld world, IReadOnlyDictionary<string, object?> variables) =>
        RunAsync(provider, world, "health-check.yml", "health_check_result_path", variables);

    public static Task<PlaybookOutcome> RollbackAsync(AnsibleWorld world, IServiceProvider provider, string fromPath, string toPath) =>
        RunAsync(provider, world, "release-rollback.yml", "rollback_result_path", RollbackVariables(world, fromPath, toPath));

    public static Task<PlaybookOutcome> RollbackAsync(IServiceProvider provider, AnsibleWorld world, IReadOnlyDictionary<string, object?> variables) =>
        RunAsync(provider, world, "release-rollback.yml", "rollback_result_path", variables);

    private static Task<PlaybookOutcome> RunAsync(IServiceProvider provider, AnsibleWorld world, string playbook, string resultVariable,
        IReadOnlyDictionary<string, object?> variables) =>
        provider.GetRequiredService<AnsiblePlaybookRunner>().RunAsync(new PlaybookRequest
        {
            JobId = Guid.NewGuid(),
            Playbook = playbook,
            Node = world.Site.Node,
            ExtraVars = variables,
            ResultVariable = resultVariable,
            Timeout = TimeSpan.FromSeconds(60),
        }, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(90));
}
