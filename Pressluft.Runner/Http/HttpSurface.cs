using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Pressluft.Runner.Telemetry;

namespace Pressluft.Runner.Http;

/// <summary>
/// The service's HTTP surface on Kestrel, started with the service (after the bus, so the intake can publish):
/// <c>/health/live</c>, <c>/health/ready</c> (ledger, broker, outbox not stuck), <c>/metrics</c> (Prometheus text) and
/// the intake (<see cref="IntakeEndpoints"/>). It is a small web application of its own that resolves the service's
/// validators, bus and ledger from the service's container, so the service's host stays a plain generic host.
/// </summary>
public sealed class HttpSurface(IServiceProvider services, IOptions<HttpOptions> options, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    public const string ReadyTag = "ready";

    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var url = options.Value.Url;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelCore().UseUrls(url);
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(loggers);
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddPressluftMeters().AddPrometheusExporter());
        var app = builder.Build();

        app.MapGet("/health/live", () => Results.Json(new { status = nameof(HealthStatus.Healthy) }));
        app.MapGet("/health/ready", ReadyAsync);
        app.MapPrometheusScrapingEndpoint("/metrics");
        IntakeEndpoints.Map(app, services);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException exception)
        {
            await app.DisposeAsync();
            throw new AddressInUseException(
                $"cannot listen on {url} ({exception.Message.TrimEnd('.')}); is another pressluft running? Set {HttpOptions.SectionName}:Url to another address", exception);
        }

        _app = app;
        loggers.CreateLogger<HttpSurface>().LogInformation("HTTP on {Url}: /health/live, /health/ready, /metrics, POST /mutations", url);
    }

    private async Task<IResult> ReadyAsync(CancellationToken cancellationToken)
    {
        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains(ReadyTag), cancellationToken);
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(e => new { name = e.Key, status = e.Value.Status.ToString(), description = e.Value.Description }),
        };

        // Degraded counts as not ready: a stuck outbox means gates stall even though everything answers.
        return Results.Json(body, statusCode: report.Status == HealthStatus.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }
    }
}
