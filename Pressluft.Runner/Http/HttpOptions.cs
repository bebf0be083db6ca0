using System.ComponentModel.DataAnnotations;

namespace Pressluft.Runner.Http;

/// <summary><c>Pressluft:Http</c>: the service's HTTP surface (health, metrics, intake) and where the CLI finds it.</summary>
public sealed class HttpOptions : IValidatableObject
{
    public const string SectionName = "Pressluft:Http";

    /// <summary>Serve HTTP at all. Off, the CLI on the embedded default gates in its own process again.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where Kestrel listens; loopback by default, so nothing is reachable from other machines unless configured.</summary>
    public string Url { get; set; } = "http://127.0.0.1:8470";

    /// <summary>The address a client on this machine uses: a wildcard listen address is reached on loopback.</summary>
    public Uri ClientUrl()
    {
        var url = new UriBuilder(Url);
        if (url.Host is "0.0.0.0" or "*" or "+" or "[::]" or "::")
        {
            url.Host = "127.0.0.1";
        }

        return url.Uri;
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(Url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var url)
            || url.Scheme != Uri.UriSchemeHttp || url.Port <= 0)
        {
            yield return new ValidationResult($"{SectionName}:Url must be an http:// URL with a port, e.g. http://127.0.0.1:8470", [nameof(Url)]);
        }
    }
}
