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
            yield return $"job type '{message.JobType}' is not gated here (expected one of {string.Join(", ", JobTypes.Gated)})";
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
            yield return $"environmentUrl '{message.EnvironmentUrl}' is not an absolute http or https URL";
        }
    }
}
