using System.Text.RegularExpressions;

namespace Pressluft.Sagas.Validation;

/// <summary>
/// Masks values that look like credentials: <c>password=…</c>, <c>"token": "…"</c>, <c>Authorization: Bearer …</c>,
/// user info in URLs, private key blocks. Applied to everything the service writes that may hold text from outside:
/// playbook output, logs, ledger payloads and error text, rejection reasons.
/// </summary>
public static partial class SecretRedactor
{
    public const string Mask = "***";

    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = SecretAssignment().Replace(text, m => $"{m.Groups["key"].Value}{m.Groups["sep"].Value}{Mask}");
        result = BearerToken().Replace(result, "${scheme} " + Mask);
        result = UrlCredentials().Replace(result, "${scheme}" + Mask + "@");
        return PrivateKey().Replace(result, "-----BEGIN " + Mask + "PRIVATE KEY (redacted)");
    }

    /// <summary><see cref="Redact"/> for values that may be null.</summary>
    public static string? RedactOrNull(string? text) => text is null ? null : Redact(text);

    // key=value, key: value, "key": "value" for names that usually hold secrets (query strings included).
    [GeneratedRegex("""(?<key>["']?[\w.-]*(?:password|passwd|secret|token|api[_-]?key|private[_-]?key|credential|auth|signature)[\w.-]*["']?)(?<sep>\s*[:=]\s*)(?:(?:Bearer|Basic|Token)\s+)?(?:"[^"]*"|'[^']*'|[^\s,;&}]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex SecretAssignment();

    [GeneratedRegex(@"(?<scheme>Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", RegexOptions.IgnoreCase)]
    private static partial Regex BearerToken();

    [GeneratedRegex(@"(?<scheme>[a-z][a-z0-9+.-]*://)[^/\s@]+@", RegexOptions.IgnoreCase)]
    private static partial Regex UrlCredentials();

    [GeneratedRegex(@"-----BEGIN [A-Z ]*PRIVATE KEY")]
    private static partial Regex PrivateKey();
}
