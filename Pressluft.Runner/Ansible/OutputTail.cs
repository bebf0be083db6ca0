using System.Text;
using Pressluft.Sagas.Validation;

namespace Pressluft.Runner.Ansible;

/// <summary>
/// Keeps the last <see cref="Capacity"/> characters of a playbook's output, with secret-like values redacted
/// line by line, so what is stored with a job or logged never carries a password or token.
/// </summary>
public sealed class OutputTail(int capacity = OutputTail.DefaultCapacity)
{
    public const int DefaultCapacity = 10 * 1024;

    private readonly Lock _gate = new();
    private readonly StringBuilder _buffer = new();

    public int Capacity { get; } = capacity;

    /// <summary>Adds one line and returns it redacted.</summary>
    public string Append(string line)
    {
        var redacted = Redact(line);
        lock (_gate)
        {
            _buffer.Append(redacted).Append('\n');
            if (_buffer.Length > Capacity)
            {
                _buffer.Remove(0, _buffer.Length - Capacity);
            }
        }

        return redacted;
    }

    public override string ToString()
    {
        lock (_gate)
        {
            return _buffer.ToString();
        }
    }

    public static string Redact(string line) => SecretRedactor.Redact(line);
}
