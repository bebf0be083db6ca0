namespace Pressluft.Sagas.Validation;

public static class MessageValidators
{
    /// <summary>Every problem <paramref name="validators"/> find with <paramref name="message"/>; none when it is good.</summary>
    public static List<string> ProblemsWith<T>(this IEnumerable<IMessageValidator<T>> validators, T message)
        where T : class => validators.SelectMany(v => v.Validate(message)).ToList();
}
