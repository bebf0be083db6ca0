using System.Text;
using System.Text.RegularExpressions;

namespace Pressluft.Runner.Ansible;

/// <summary>
/// Keeps the last <see cref="Capacity"/> characters of a playbook's output, with secret-like values redacted
/// line by line, so what is stored with a job or logged never carries a password or token.
/// </summary>
public sealed partial class OutputTail(int capacity = OutputTail.DefaultCapacity)
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

    public static string Redact(string line)
    {
        var result = SecretAssignment().Replace(line, m => $"{m.Groups["key"].Value}{m.Groups["sep"].Value}***");
        result = BearerToken().Replace(result, "${scheme} ***");
        result = UrlCredentials().Replace(result, "${scheme}***@");
        return PrivateKey().Replace(result, "-----BEGIN ***PRIVATE KEY (redacted)");
    }

    // key=value, key: value, "key": "value" for names that usually hold secrets.
    [GeneratedRegex("""(?<key>["']?[\w.-]*(?:password|passwd|secret|token|api[_-]?key|private[_-]?key|credential|auth)[\w.-]*["']?)(?<sep>\s*[:=]\s*)(?:(?:Bearer|Basic|Token)\s+)?(?:"[^"]*"|'[^']*'|[^\s,;}]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex SecretAssignment();

    [GeneratedRegex(@"(?<scheme>Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", RegexOptions.IgnoreCase)]
    private static partial Regex BearerToken();

    [GeneratedRegex(@"(?<scheme>[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@", RegexOptions.IgnoreCase)]
    private static partial Regex UrlCredentials();

    [GeneratedRegex(@"-----BEGIN [A-Z ]*PRIVATE KEY")]
    private static partial Regex PrivateKey();
}
