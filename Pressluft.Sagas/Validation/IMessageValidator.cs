namespace Pressluft.Sagas.Validation;

/// <summary>Checks one incoming message type; returns the problems found (none when the message is good).</summary>
public interface IMessageValidator<in T>
    where T : class
{
    IEnumerable<string> Validate(T message);
}
