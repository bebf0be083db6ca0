using OpenTelemetry.Exporter;

namespace Pressluft.Runner.Telemetry;

/// <summary><c>Pressluft:Telemetry</c>: where traces and metrics go. Nothing is exported unless an endpoint is set.</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Pressluft:Telemetry";

    /// <summary>An OTLP collector, e.g. <c>http://127.0.0.1:4317</c> (gRPC) or <c>http://127.0.0.1:4318</c> (HTTP); empty exports nothing.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>Grpc</c> or <c>HttpProtobuf</c>.</summary>
    public OtlpExportProtocol OtlpProtocol { get; set; } = OtlpExportProtocol.Grpc;

    /// <summary>The <c>service.name</c> the telemetry carries.</summary>
    public string ServiceName { get; set; } = "pressluft";
}
