using Pressluft.Contracts;

namespace Pressluft.Sagas.Validation;

/// <summary>An operator reset must say which environment and who asked; both are recorded.</summary>
public sealed class ResetEnvironmentValidator : IMessageValidator<ResetEnvironment>
{
    public IEnumerable<string> Validate(ResetEnvironment message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.EnvironmentId == Guid.Empty)
        {
            yield return "environmentId is empty";
        }

        if (string.IsNullOrWhiteSpace(message.RequestedBy))
        {
            yield return "requestedBy is required (who resets the environment is recorded)";
        }
        else if (message.RequestedBy.Length > 200)
        {
            yield return $"requestedBy is {message.RequestedBy.Length} characters long (at most 200)";
        }

        if (message.Reason is { Length: > 2000 })
        {
            yield return $"reason is {message.Reason.Length} characters long (at most 2000)";
        }
    }
}
