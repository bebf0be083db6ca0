using Pressluft.Contracts;

namespace Pressluft.Sagas.Validation;

/// <summary>An operator reset must say which environment and who asked; both are recorded, as one line of text each.</summary>
public sealed class ResetEnvironmentValidator : IMessageValidator<ResetEnvironment>
{
    public IEnumerable<string> Validate(ResetEnvironment message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Problems(message).Where(p => p is not null).Select(p => p!);
    }

    private static IEnumerable<string?> Problems(ResetEnvironment message)
    {
        yield return FieldRules.Id("environmentId", message.EnvironmentId);
        yield return string.IsNullOrWhiteSpace(message.RequestedBy)
            ? "requestedBy is required (who resets the environment is recorded)"
            : FieldRules.Text("requestedBy", message.RequestedBy, 200);
        yield return FieldRules.Text("reason", message.Reason, 2000);
    }
}
