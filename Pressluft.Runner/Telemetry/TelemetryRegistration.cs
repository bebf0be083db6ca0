using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using Pressluft.Runner.Consumers;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Pressluft.Runner.Telemetry;

public static class TelemetryRegistration
{
    /// <summary>
    /// Traces and metrics: our sources and meters are always named (so a test or an operator can add an exporter), an
    /// OTLP exporter is added only when <c>Pressluft:Telemetry:OtlpEndpoint</c> is set, and nothing leaves the process
    /// otherwise (/metrics is pulled, on loopback by default).
    /// </summary>
    public static IServiceCollection AddPressluftTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();
        services.AddOptions<TelemetryOptions>().Bind(configuration.GetSection(TelemetryOptions.SectionName));
        services.AddConsumeObserver<VerdictObserver>();
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddPressluftSources());
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddPressluftMeters());
        if (string.IsNullOrWhiteSpace(options.OtlpEndpoint))
        {
            return services;
        }

        var endpoint = new Uri(options.OtlpEndpoint);
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(options.ServiceName))
            .WithTracing(tracing => tracing.AddOtlpExporter(o => (o.Endpoint, o.Protocol) = (endpoint, options.OtlpProtocol)))
            .WithMetrics(metrics => metrics.AddOtlpExporter(o => (o.Endpoint, o.Protocol) = (endpoint, options.OtlpProtocol)));
        return services;
    }

    private static readonly HashSet<string> PlaybookEndpoints =
    [
        ((IConsumerDefinition)new HealthCheckConsumerDefinition()).GetEndpointName(KebabCaseEndpointNameFormatter.Instance),
        ((IConsumerDefinition)new ReleaseRollbackConsumerDefinition()).GetEndpointName(KebabCaseEndpointNameFormatter.Instance),
    ];

    /// <summary>
    /// One span per playbook run, on the endpoints that run playbooks only: elsewhere (mutation-intake reads any plain
    /// JSON as a MutationCompleted) asking a message whether it is a playbook request would try to read it as one.
    /// </summary>
    public static void TracePlaybookRuns(IRegistrationContext context, string endpointName, IReceiveEndpointConfigurator endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (PlaybookEndpoints.Contains(endpointName))
        {
            endpoint.UseFilter(new PlaybookRunSpanFilter());
        }
    }
}
