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
    private bool _insideKey;

    public int Capacity { get; } = capacity;

    /// <summary>Adds one line and returns it redacted; every line of a private key block is masked, not just its first.</summary>
    public string Append(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        lock (_gate)
        {
            var redacted = _insideKey ? SecretRedactor.Mask : Redact(line);
            if (line.Contains("PRIVATE KEY", StringComparison.Ordinal))
            {
                _insideKey = line.Contains("-----BEGIN", StringComparison.Ordinal) && !line.Contains("-----END", StringComparison.Ordinal);
            }

            _buffer.Append(redacted).Append('\n');
            if (_buffer.Length > Capacity)
            {
                _buffer.Remove(0, _buffer.Length - Capacity);
            }

            return redacted;
        }
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
