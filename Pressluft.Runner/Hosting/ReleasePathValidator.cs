using Microsoft.Extensions.Options;
using Pressluft.Contracts;
using Pressluft.Runner.Ansible;
using Pressluft.Sagas.Validation;

namespace Pressluft.Runner.Hosting;

/// <summary>
/// Release paths must name a release directory of the event's own site under the configured sites root
/// (<see cref="FieldRules.ReleasePath"/>). The rollback playbook checks again on the node that the target is a real
/// directory and not a symlink.
/// </summary>
public sealed class ReleasePathValidator(IOptionsMonitor<AnsibleOptions> options) : IMessageValidator<MutationCompleted>
{
    public IEnumerable<string> Validate(MutationCompleted message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var sitesRoot = options.CurrentValue.SitesRoot;
        foreach (var (field, release) in new[] { ("release.path", message.Release), ("previousRelease.path", message.PreviousRelease) })
        {
            if (release?.Path is { } path && FieldRules.ReleasePath(field, path, sitesRoot, message.SiteId) is { } problem)
            {
                yield return problem;
            }
        }
    }
}
