using System.Net.Http.Json;
using System.Text.Json;
using MassTransit.Serialization;

namespace Pressluft.Runner.Http;

/// <summary>The CLI's way to a running service on this machine: its HTTP surface at <see cref="HttpOptions.Url"/>.</summary>
public sealed class ServiceClient(HttpOptions options) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = options.ClientUrl(), Timeout = TimeSpan.FromSeconds(30) };

    public Uri Address => _http.BaseAddress!;

    /// <summary>Whether a service answers <c>/health/live</c> (quickly: nothing listening is refused at once).</summary>
    public async Task<bool> IsRunningAsync(CancellationToken cancellationToken)
    {
        if (!options.Enabled)
        {
            return false;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            using var response = await _http.GetAsync(new Uri("health/live", UriKind.Relative), timeout.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Posts a message document the way other publishers do; returns the status code and the reasons of a refusal.</summary>
    public async Task<(int Status, IReadOnlyList<string> Errors)> PostAsync<T>(string path, T message, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync(new Uri(path.TrimStart('/'), UriKind.Relative), message, SystemTextJsonMessageSerializer.Options, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return ((int)response.StatusCode, []);
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString() ?? "").ToList();
            return ((int)response.StatusCode, errors);
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return ((int)response.StatusCode, [$"HTTP {(int)response.StatusCode}: {body}"]);
        }
    }

    public void Dispose() => _http.Dispose();
}
