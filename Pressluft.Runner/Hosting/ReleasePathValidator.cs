using Microsoft.Extensions.Options;
using Pressluft.Contracts;
using Pressluft.Runner.Ansible;
using Pressluft.Sagas.Validation;

namespace Pressluft.Runner.Hosting;

/// <summary>
/// Release paths must name a release directory of the event's own site: <c>&lt;sites root&gt;/&lt;site id&gt;/releases/&lt;name&gt;</c>,
/// written plainly (no <c>..</c>, <c>.</c> or doubled slashes). The rollback playbook checks again on the node that the
/// target is a real directory and not a symlink.
/// </summary>
public sealed class ReleasePathValidator(IOptionsMonitor<AnsibleOptions> options) : IMessageValidator<MutationCompleted>
{
    public IEnumerable<string> Validate(MutationCompleted message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var releases = $"{options.CurrentValue.SitesRoot.TrimEnd('/')}/{message.SiteId}/releases/";
        foreach (var (name, release) in new[] { ("release", message.Release), ("previousRelease", message.PreviousRelease) })
        {
            if (release?.Path is not { } path)
            {
                continue;
            }

            var leaf = path.StartsWith(releases, StringComparison.Ordinal) ? path[releases.Length..] : null;
            if (leaf is null || leaf.Length == 0 || leaf.Contains('/', StringComparison.Ordinal) || leaf is "." or ".." || path.Any(char.IsControl))
            {
                yield return $"{name}.path '{Truncate(path)}' is not a release directory of site {message.SiteId} (expected {releases}<release>)";
            }
        }
    }

    private static string Truncate(string value) => value.Length <= 200 ? value : value[..200] + "…";
}
