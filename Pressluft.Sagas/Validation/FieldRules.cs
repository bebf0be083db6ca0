using System.Globalization;
using System.Text.RegularExpressions;

namespace Pressluft.Sagas.Validation;

/// <summary>
/// The rules for every value that crosses the boundary: what a field may hold, checked in one place by the intake,
/// <c>publish-mutation</c> and the runner. Each method returns the problem as a sentence naming the field, or null when
/// the value is good. Fields that can never legitimately hold template or shell metacharacters (ids, slugs, host, user,
/// release directory names, error codes) are held to a strict pattern; free text may hold anything printable but no
/// control characters or line breaks. Values are quoted back redacted and shortened, never whole.
/// </summary>
public static partial class FieldRules
{
    /// <summary>A host name (RFC 1123 labels, no underscore) or an IPv4/IPv6 address.</summary>
    public static string? Hostname(string field, string? value)
    {
        if (value is null)
        {
            return $"{field} is missing";
        }

        if (value.Length > 253 || !(HostnamePattern().IsMatch(value) || IsIpv6(value)))
        {
            return $"{field} '{Quote(value)}' is not a host name or IP address (letters, digits, hyphens and dots; no underscores or spaces)";
        }

        return null;
    }

    /// <summary>A POSIX login name: starts with a letter or underscore, then letters, digits, <c>_ . -</c>; at most 32.</summary>
    public static string? SshUser(string field, string? value)
    {
        if (value is null)
        {
            return $"{field} is missing";
        }

        return UserPattern().IsMatch(value)
            ? null
            : $"{field} '{Quote(value)}' is not a user name (a letter or _ first, then letters, digits, _ . -; at most 32 characters)";
    }

    public static string? Port(string field, int value) =>
        value is < 1 or > 65535 ? $"{field} {value.ToString(CultureInfo.InvariantCulture)} is out of range (1-65535)" : null;

    /// <summary>An optional slug: lower-case letters, digits, <c>-</c> and <c>_</c>, starting with a letter or digit; at most 100.</summary>
    public static string? Slug(string field, string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length > 100)
        {
            return $"{field} is {value.Length.ToString(CultureInfo.InvariantCulture)} characters long (at most 100)";
        }

        return SlugPattern().IsMatch(value)
            ? null
            : $"{field} '{Quote(value)}' is not a slug (lower-case letters, digits, - and _, starting with a letter or digit; at most 100 characters)";
    }

    /// <summary>An environment type: <c>production</c>, <c>staging</c> or <c>clone</c>.</summary>
    public static string? EnvironmentType(string field, string? value) =>
        value is "production" or "staging" or "clone" ? null : $"{field} '{Quote(value ?? "")}' is not production, staging or clone";

    /// <summary>The name of a release directory: letters, digits, <c>. _ -</c>, not starting with a dot; at most 128.</summary>
    public static bool IsReleaseDirectoryName(string value) => ReleaseNamePattern().IsMatch(value);

    /// <summary>
    /// A release path of <paramref name="siteId"/>: exactly <c>&lt;sites root&gt;/&lt;site id&gt;/releases/&lt;name&gt;</c>, written
    /// plainly (no <c>..</c>, <c>.</c> or doubled slashes), where the name is a release directory name.
    /// </summary>
    public static string? ReleasePath(string field, string? path, string sitesRoot, Guid siteId)
    {
        if (string.IsNullOrEmpty(path))
        {
            return $"{field} is missing";
        }

        var releases = $"{sitesRoot.TrimEnd('/')}/{siteId}/releases/";
        var leaf = path.StartsWith(releases, StringComparison.Ordinal) ? path[releases.Length..] : null;
        if (leaf is null || !IsReleaseDirectoryName(leaf))
        {
            return $"{field} '{Quote(path)}' is not a release directory of site {siteId} (expected {releases}<name>, the name made of letters, digits, . _ -)";
        }

        return null;
    }

    /// <summary>
    /// An absolute <c>http</c>/<c>https</c> URL written as RFC 3986 allows (anything else percent-encoded: no spaces,
    /// braces, quotes, angle brackets, backslashes or control characters), without credentials in it. A URL is never
    /// quoted back in the reason: a malformed one may hold a credential in a place no pattern recognises.
    /// </summary>
    public static string? HttpUrl(string field, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return $"{field} is missing";
        }

        // Before anything that quotes the value back: the user info is the credential.
        if (HasUserInfo(value))
        {
            return $"{field} carries credentials (user info before the host); credentials are not accepted in messages";
        }

        if (value.Length > 2048)
        {
            return $"{field} is {value.Length.ToString(CultureInfo.InvariantCulture)} characters long (at most 2048)";
        }

        if (!UrlCharacters().IsMatch(value))
        {
            return $"{field} holds characters a URL cannot hold unencoded (spaces, braces, quotes, angle brackets, backslashes, control characters); percent-encode them";
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps) || url.Host.Length == 0)
        {
            return $"{field} is not an absolute http or https URL with a host";
        }

        return url.UserInfo.Length > 0 ? $"{field} carries credentials (user info before the host); credentials are not accepted in messages" : null;
    }

    /// <summary>Free text: any printable characters, but no control characters or line breaks, and at most <paramref name="limit"/>.</summary>
    public static string? Text(string field, string? value, int limit)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length > limit)
        {
            return $"{field} is {value.Length.ToString(CultureInfo.InvariantCulture)} characters long (at most {limit.ToString(CultureInfo.InvariantCulture)})";
        }

        return HasControlCharacters(value) ? $"{field} holds control characters or line breaks" : null;
    }

    /// <summary><see cref="Text"/> that must be there (JSON <c>null</c> or empty is missing).</summary>
    public static string? RequiredText(string field, string? value, int limit) =>
        string.IsNullOrEmpty(value) ? $"{field} is missing" : Text(field, value, limit);

    /// <summary>
    /// A reference to a backup: letters, digits and the punctuation of paths and URLs (<c>. _ - / : @ + = ? &amp; ~ %</c>),
    /// never braces, quotes, spaces or shell metacharacters; at most 1024.
    /// </summary>
    public static string? BackupReference(string field, string? value)
    {
        if (value is null)
        {
            return null;
        }

        return BackupReferencePattern().IsMatch(value)
            ? null
            : $"{field} '{Quote(value)}' is not a backup reference (letters, digits and . _ - / : @ + = ? & ~ %; at most 1024 characters)";
    }

    /// <summary>A registered error code's shape: UPPER_SNAKE_CASE.</summary>
    public static string? ErrorCode(string field, string? value) =>
        value is not null && ErrorCodePattern().IsMatch(value) ? null : $"{field} '{Quote(value ?? "")}' is not an error code (UPPER_SNAKE_CASE)";

    /// <summary>A completion time: set, and not later than <paramref name="now"/> plus <paramref name="skew"/>.</summary>
    public static string? CompletedAt(string field, DateTimeOffset value, DateTimeOffset now, TimeSpan skew)
    {
        if (value == default)
        {
            return $"{field} is missing";
        }

        return value > now + skew
            ? $"{field} {value.UtcDateTime.ToString("o", CultureInfo.InvariantCulture)} lies in the future (now {now.UtcDateTime.ToString("o", CultureInfo.InvariantCulture)}, allowance {skew})"
            : null;
    }

    /// <summary>A non-empty UUID.</summary>
    public static string? Id(string field, Guid value) => value == Guid.Empty ? $"{field} is empty" : null;

    /// <summary>Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.</summary>
    public static bool HasControlCharacters(string value) => value.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029');

    /// <summary>A value quoted back in a reason: secrets redacted, control characters shown as <c>?</c>, at most 100 characters.</summary>
    public static string Quote(string value)
    {
        var redacted = SecretRedactor.Redact(value);
        var shown = new string(redacted.Select(c => char.IsControl(c) || c is '\u2028' or '\u2029' ? '?' : c).ToArray());
        return shown.Length <= 100 ? shown : shown[..100] + "…";
    }

    // Anything between "//" and the end of the authority that holds an "@", however malformed the rest is.
    private static bool HasUserInfo(string value)
    {
        var start = value.IndexOf("//", StringComparison.Ordinal);
        if (start < 0)
        {
            return false;
        }

        var authority = value[(start + 2)..];
        var end = authority.IndexOfAny(['/', '?', '#']);
        return (end < 0 ? authority : authority[..end]).Contains('@', StringComparison.Ordinal);
    }

    private static bool IsIpv6(string value) =>
        value.Contains(':', StringComparison.Ordinal) && Ipv6Characters().IsMatch(value) && System.Net.IPAddress.TryParse(value, out _);

    [GeneratedRegex(@"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\z")]
    private static partial Regex HostnamePattern();

    [GeneratedRegex(@"^[0-9A-Fa-f:.]+\z")]
    private static partial Regex Ipv6Characters();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.-]{0,31}\z")]
    private static partial Regex UserPattern();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]{0,99}\z")]
    private static partial Regex SlugPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}\z")]
    private static partial Regex ReleaseNamePattern();

    // RFC 3986 unreserved, reserved and the percent sign; nothing else.
    [GeneratedRegex(@"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+\z")]
    private static partial Regex UrlCharacters();

    [GeneratedRegex(@"^[A-Za-z0-9._\-/:@+=?&~%]{1,1024}\z")]
    private static partial Regex BackupReferencePattern();

    [GeneratedRegex(@"^[A-Z][A-Z0-9_]{0,63}\z")]
    private static partial Regex ErrorCodePattern();
}
