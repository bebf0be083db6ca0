namespace Pressluft.Sagas.Validation;

/// <summary>
/// A message failed validation at the edge. It is not retried: it goes to the endpoint's <c>_error</c> queue with
/// this exception's message as the reason, and changes nothing.
/// </summary>
public sealed class RejectedMessageException : Exception
{
    public RejectedMessageException(string messageType, IReadOnlyList<string> problems)
        : base($"{messageType} rejected: {string.Join("; ", problems)}")
    {
        Problems = problems;
    }

    public RejectedMessageException()
        : this("message", [])
    {
    }

    public RejectedMessageException(string message)
        : base(message)
    {
        Problems = [message];
    }

    public RejectedMessageException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    public IReadOnlyList<string> Problems { get; } = [];
}
