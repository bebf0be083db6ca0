using Pressluft.Sagas.Validation;

namespace Pressluft.Runner.Ansible;

/// <summary>
/// Text a node wrote (WP-CLI output, an HTTP status line, where a tenant's symlink points), made fit to show: secrets
/// redacted, and control characters (line breaks and terminal escape sequences included) shown as <c>?</c>. The log
/// writes strings raw and operators read the ledger's error text in a terminal, so a tenant's line break would start a
/// forged log line and an escape sequence would drive the operator's terminal.
/// </summary>
public static class NodeText
{
    public static string? Clean(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var redacted = SecretRedactor.Redact(text);
        return FieldRules.HasControlCharacters(redacted)
            ? string.Create(redacted.Length, redacted, (span, source) =>
            {
                for (var i = 0; i < source.Length; i++)
                {
                    span[i] = char.IsControl(source[i]) || source[i] is '\u2028' or '\u2029' ? '?' : source[i];
                }
            })
            : redacted;
    }
}
