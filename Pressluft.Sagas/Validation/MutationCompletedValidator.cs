using Pressluft.Contracts;

namespace Pressluft.Sagas.Validation;

/// <summary>Rejects a <see cref="MutationCompleted"/> the gate cannot act on.</summary>
public sealed class MutationCompletedValidator : IMessageValidator<MutationCompleted>
{
    public IEnumerable<string> Validate(MutationCompleted message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!JobTypes.IsGated(message.JobType))
        {
            yield return $"job type '{Shorten(message.JobType)}' is not gated here (expected one of {string.Join(", ", JobTypes.Gated)})";
        }

        if (message.MutationJobId == Guid.Empty)
        {
            yield return "mutationJobId is empty";
        }

        if (message.SiteId == Guid.Empty)
        {
            yield return "siteId is empty";
        }

        if (message.EnvironmentId == Guid.Empty)
        {
            yield return "environmentId is empty";
        }

        if (message.Node is null || string.IsNullOrWhiteSpace(message.Node.Hostname))
        {
            yield return "node.hostname is missing";
        }

        if (message.Release is null || message.Release.Id == Guid.Empty || string.IsNullOrWhiteSpace(message.Release.Path))
        {
            yield return "release.id and release.path are required";
        }
        else if (message.PreviousRelease is { } previous && previous.Id == message.Release.Id)
        {
            yield return "previousRelease is the same release as release";
        }

        if (!Uri.TryCreate(message.EnvironmentUrl, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            yield return $"environmentUrl '{Shorten(message.EnvironmentUrl)}' is not an absolute http or https URL";
        }

        if (message.EnvironmentType is not ("production" or "staging" or "clone"))
        {
            yield return $"environmentType '{Shorten(message.EnvironmentType)}' is not production, staging or clone";
        }

        if (message.Node is { SshPort: < 1 or > 65535 })
        {
            yield return $"node.sshPort {message.Node.SshPort} is out of range";
        }

        foreach (var (field, value, limit) in Limits(message))
        {
            if (value is not null && value.Length > limit)
            {
                yield return $"{field} is {value.Length} characters long (at most {limit})";
            }
        }
    }

    private static IEnumerable<(string Field, string? Value, int Limit)> Limits(MutationCompleted m) =>
    [
        ("jobType", m.JobType, 64),
        ("siteSlug", m.SiteSlug, 200),
        ("environmentSlug", m.EnvironmentSlug, 200),
        ("environmentType", m.EnvironmentType, 32),
        ("environmentUrl", m.EnvironmentUrl, 2048),
        ("node.hostname", m.Node?.Hostname, 253),
        ("node.sshUser", m.Node?.SshUser, 32),
        ("release.path", m.Release?.Path, 1024),
        ("previousRelease.path", m.PreviousRelease?.Path, 1024),
        ("backupReference", m.BackupReference, 1024),
    ];

    private static string Shorten(string? value) => value is null ? "(none)" : value.Length <= 100 ? value : value[..100] + "…";
}
