using Microsoft.Extensions.DependencyInjection;
using Pressluft.Runner.Ansible;
using Pressluft.Runner.Consumers;

namespace Pressluft.Runner.Tests.Support;

/// <summary>
/// Runs the real playbooks straight through <see cref="AnsiblePlaybookRunner"/>, past the consumers and their field
/// rules, with the variables the consumers pass (any of them replaced), split as the consumers split them: the job's
/// own values as inventory host variables, the configuration as extra-vars. What a playbook does with a value the rules
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

    public static Task<HostOutcome> HealthCheckAsync(IServiceProvider provider, AnsibleWorld world, IReadOnlyDictionary<string, object?> variables,
        TimeSpan? timeout = null) =>
        RunAsync(provider, world, "health-check.yml", Consumers.HealthCheckVariables.SharedNames, variables, Consumers.HealthCheckVariables.ChecksModule, timeout);

    public static Task<HostOutcome> RollbackAsync(AnsibleWorld world, IServiceProvider provider, string fromPath, string toPath) =>
        RollbackAsync(provider, world, RollbackVariables(world, fromPath, toPath));

    public static Task<HostOutcome> RollbackAsync(IServiceProvider provider, AnsibleWorld world, IReadOnlyDictionary<string, object?> variables) =>
        RunAsync(provider, world, "release-rollback.yml", ReleaseRollbackVariables.SharedNames, variables, null, null);

    /// <summary>
    /// One check's entry (<c>check</c>, <c>outcome</c>, <c>detail</c>, …) in the health check module's result of
    /// <paramref name="host"/>; null when the module returned no result.
    /// </summary>
    public static System.Text.Json.JsonElement? Check(HostOutcome host, string check) =>
        host.ResultOf(Consumers.HealthCheckVariables.ChecksModule)?.Result.GetProperty("checks").EnumerateArray()
            .Single(c => c.GetProperty("check").GetString() == check);

    /// <summary>The health check playbook's whole outcome (how the run went, not only the host's).</summary>
    public static Task<PlaybookOutcome> HealthCheckRunAsync(IServiceProvider provider, AnsibleWorld world, IReadOnlyDictionary<string, object?> variables) =>
        RunPlaybookAsync(provider, world, "health-check.yml", Consumers.HealthCheckVariables.SharedNames, variables, Consumers.HealthCheckVariables.ChecksModule, null);

    private static async Task<HostOutcome> RunAsync(IServiceProvider provider, AnsibleWorld world, string playbook, IReadOnlySet<string> shared,
        IReadOnlyDictionary<string, object?> variables, string? finalAction, TimeSpan? timeout) =>
        (await RunPlaybookAsync(provider, world, playbook, shared, variables, finalAction, timeout)).Hosts.Single();

    private static Task<PlaybookOutcome> RunPlaybookAsync(IServiceProvider provider, AnsibleWorld world, string playbook, IReadOnlySet<string> shared,
        IReadOnlyDictionary<string, object?> variables, string? finalAction, TimeSpan? timeout) =>
        provider.GetRequiredService<AnsiblePlaybookRunner>().RunAsync(new PlaybookRun
        {
            Playbook = playbook,
            Hosts =
            [
                new PlaybookHost
                {
                    JobId = Guid.NewGuid(),
                    Node = world.Site.Node,
                    Variables = variables.Where(v => !shared.Contains(v.Key)).ToDictionary(v => v.Key, v => v.Value),
                },
            ],
            SharedVariables = variables.Where(v => shared.Contains(v.Key)).ToDictionary(v => v.Key, v => v.Value),
            Timeout = timeout ?? TimeSpan.FromSeconds(60),
            FinalAction = finalAction,
        }, null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(90));
}
