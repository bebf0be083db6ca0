using Pressluft.Contracts;
using Pressluft.Runner.Ansible;
using Pressluft.Sagas.Validation;

namespace Pressluft.Runner.Consumers;

/// <summary>
/// The runner's own check of a job before anything reaches Ansible: the same <see cref="FieldRules"/> the intake
/// applies. A request built by the saga from an accepted event always passes; one that does not (a message put on the
/// queue by hand, a runner configured with another sites root) is answered at once as rejected, never run.
/// </summary>
internal static class JobRules
{
    public static IReadOnlyList<string> Check(HealthCheckRequested request, AnsibleOptions settings) =>
        Common(request.SiteId, request.SiteSlug, request.EnvironmentId, request.EnvironmentSlug, request.EnvironmentType, request.Node)
            .Append(FieldRules.Id("release.id", request.Release.Id))
            .Append(FieldRules.ReleasePath("release.path", request.Release.Path, settings.SitesRoot, request.SiteId))
            .Append(FieldRules.HttpUrl("environmentUrl", request.EnvironmentUrl))
            .OfType<string>()
            .ToList();

    public static IReadOnlyList<string> Check(RollbackRequested request, AnsibleOptions settings) =>
        Common(request.SiteId, request.SiteSlug, request.EnvironmentId, request.EnvironmentSlug, request.EnvironmentType, request.Node)
            .Append(FieldRules.ReleasePath("fromRelease.path", request.FromRelease.Path, settings.SitesRoot, request.SiteId))
            .Append(FieldRules.ReleasePath("toRelease.path", request.ToRelease.Path, settings.SitesRoot, request.SiteId))
            .Append(FieldRules.ErrorCode("reasonCode", request.ReasonCode))
            .OfType<string>()
            .ToList();

    private static IEnumerable<string?> Common(Guid siteId, string? siteSlug, Guid environmentId, string? environmentSlug, string environmentType, NodeRef node) =>
    [
        FieldRules.Id("siteId", siteId),
        FieldRules.Slug("siteSlug", siteSlug),
        FieldRules.Id("environmentId", environmentId),
        FieldRules.Slug("environmentSlug", environmentSlug),
        FieldRules.EnvironmentType("environmentType", environmentType),
        FieldRules.Hostname("node.hostname", node.Hostname),
        FieldRules.SshUser("node.sshUser", node.SshUser),
        FieldRules.Port("node.sshPort", node.SshPort),
    ];
}
