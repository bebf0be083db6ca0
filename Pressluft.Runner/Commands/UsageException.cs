namespace Pressluft.Runner.Commands;

/// <summary>Input or configuration the CLI cannot use: reported as one line, exit code 2, nothing changed.</summary>
/// <param name="message">What is wrong and what to do.</param>
/// <param name="value">The offending command-line value, so the error can name the option it was given to.</param>
public sealed class UsageException(string message, string? value = null) : Exception(message)
{
    public string? Value { get; } = value;
}
