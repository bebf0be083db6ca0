using Pressluft.Contracts;
using Pressluft.Sagas.Gate;

namespace Pressluft.Sagas.Validation;

/// <summary>
/// Refuses a <see cref="MutationCompleted"/> the gate cannot act on safely: every field against <see cref="FieldRules"/>,
/// plus what only makes sense together (a previous release that is the release itself, a completion time from the
/// future). Release paths are checked against the sites root by the runner's own validator.
/// </summary>
public sealed class MutationCompletedValidator(GuardedConfig config, TimeProvider clock) : IMessageValidator<MutationCompleted>
{
    public IEnumerable<string> Validate(MutationCompleted message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Problems(message).Where(p => p is not null).Select(p => p!);
    }

    private IEnumerable<string?> Problems(MutationCompleted message)
    {
        if (!JobTypes.IsGated(message.JobType))
        {
            yield return $"job type '{FieldRules.Quote(message.JobType ?? "")}' is not gated here (expected one of {string.Join(", ", JobTypes.Gated)})";
        }

        yield return FieldRules.Id("mutationJobId", message.MutationJobId);
        yield return FieldRules.Id("siteId", message.SiteId);
        yield return FieldRules.Id("environmentId", message.EnvironmentId);
        yield return FieldRules.Slug("siteSlug", message.SiteSlug);
        yield return FieldRules.Slug("environmentSlug", message.EnvironmentSlug);
        yield return FieldRules.EnvironmentType("environmentType", message.EnvironmentType);

        yield return FieldRules.HttpUrl("environmentUrl", message.EnvironmentUrl);
        if (message.Node is null)
        {
            yield return "node is missing";
        }
        else
        {
            yield return FieldRules.Hostname("node.hostname", message.Node.Hostname);
            yield return FieldRules.SshUser("node.sshUser", message.Node.SshUser);
            yield return FieldRules.Port("node.sshPort", message.Node.SshPort);
        }

        if (message.Release is null)
        {
            yield return "release is missing";
        }
        else
        {
            yield return FieldRules.Id("release.id", message.Release.Id);
            yield return FieldRules.RequiredText("release.path", message.Release.Path, 1024);
        }

        if (message.PreviousRelease is { } previous)
        {
            yield return FieldRules.Id("previousRelease.id", previous.Id);
            yield return FieldRules.RequiredText("previousRelease.path", previous.Path, 1024);
            if (message.Release is { } release && (previous.Id == release.Id || previous.Path == release.Path))
            {
                yield return "previousRelease is the same release as release";
            }
        }

        yield return FieldRules.BackupReference("backupReference", message.BackupReference);
        yield return FieldRules.CompletedAt("completedAt", message.CompletedAt, clock.GetUtcNow(), config.Current.ClockSkewAllowance);
    }
}
