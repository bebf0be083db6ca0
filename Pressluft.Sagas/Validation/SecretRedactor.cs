using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Pressluft.Sagas.Validation;

/// <summary>
/// Masks values that look like credentials: <c>password=…</c>, <c>"token": "…"</c>, <c>Authorization: Bearer …</c>,
/// user info in URLs, private key blocks. Applied to everything the service writes that may hold text from outside:
/// playbook output, logs, ledger payloads and error text, rejection reasons. JSON is redacted value by value
/// (<see cref="RedactJson"/>), never as text, so it stays JSON.
/// </summary>
public static partial class SecretRedactor
{
    public const string Mask = "***";

    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = PrivateKeyBlock().Replace(text, "-----BEGIN " + Mask + "PRIVATE KEY (redacted)-----");
        if (MayHoldSecretAssignment(result))
        {
            result = SecretAssignment().Replace(result, m => $"{m.Groups["key"].Value}{m.Groups["sep"].Value}{Mask}");
        }

        result = BearerToken().Replace(result, "${scheme} " + Mask);
        return UrlCredentials().Replace(result, "${scheme}" + Mask + "@");
    }

    // SecretAssignment has no literal to search for first (its name may start anywhere before the keyword), so it tries
    // a match at every position of the text: the largest part of the redactor's cost, which runs on every log event and
    // output line (2.4 % of the service's CPU in the profile). Every match holds one of these words; text without any of
    // them is left alone. Only for ASCII text, where they compare case-insensitively exactly as the expression does;
    // other text (Unicode folds, e.g. the Kelvin sign K as k) always goes through the expression.
    private static readonly SearchValues<string> SecretWords =
        SearchValues.Create(["passw", "secret", "token", "key", "credential", "auth", "signature"], StringComparison.OrdinalIgnoreCase);

    private static bool MayHoldSecretAssignment(string text) =>
        !Ascii.IsValid(text) || text.AsSpan().ContainsAny(SecretWords);

    /// <summary><see cref="Redact"/> for values that may be null.</summary>
    public static string? RedactOrNull(string? text) => text is null ? null : Redact(text);

    /// <summary>
    /// A JSON document with every string value redacted, and the value of every property whose name looks secret
    /// (<c>password</c>, <c>token</c>, ...) masked whole. Text that is not JSON is redacted as text.
    /// </summary>
    public static string RedactJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return Redact(json);
        }

        return root is null ? json : RedactNode(root)!.ToJsonString();
    }

    /// <summary>Whether a name (a JSON property, a setting) usually holds a secret.</summary>
    public static bool IsSecretName(string name) => SecretName().IsMatch(name);

    private static JsonNode? RedactNode(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject item:
                foreach (var (name, value) in item.ToList())
                {
                    item[name] = IsSecretName(name) && value is not null ? JsonValue.Create(Mask) : RedactNode(value?.DeepClone());
                }

                return item;
            case JsonArray list:
                for (var i = 0; i < list.Count; i++)
                {
                    list[i] = RedactNode(list[i]?.DeepClone());
                }

                return list;
            case JsonValue value when value.TryGetValue<string>(out var text):
                return JsonValue.Create(Redact(text));
            default:
                return node;
        }
    }

    [GeneratedRegex("password|passwd|secret|token|api[_-]?key|private[_-]?key|credential|auth|signature", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    // key=value, key: value, "key": "value" for names that usually hold secrets (query strings included). An unquoted
    // value ends at a quote, so a secret inside a JSON string is masked without eating the string's closing quote.
    [GeneratedRegex("""(?<key>["']?[\w.-]*(?:password|passwd|secret|token|api[_-]?key|private[_-]?key|credential|auth|signature)[\w.-]*["']?)(?<sep>\s*[:=]\s*)(?:(?:Bearer|Basic|Token)\s+)?(?:"[^"]*"|'[^']*'|[^\s,;&}"']+)""", RegexOptions.IgnoreCase)]
    private static partial Regex SecretAssignment();

    [GeneratedRegex(@"(?<scheme>Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", RegexOptions.IgnoreCase)]
    private static partial Regex BearerToken();

    [GeneratedRegex(@"(?<scheme>[a-z][a-z0-9+.-]*://)[^/\s@]+@", RegexOptions.IgnoreCase)]
    private static partial Regex UrlCredentials();

    // The whole block, body and end line included; a block cut off (no end line) is masked to the end of the text.
    [GeneratedRegex(@"-----BEGIN [A-Z ]*PRIVATE KEY(?:-----)?[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|\z)")]
    private static partial Regex PrivateKeyBlock();
}
