using System.Diagnostics;
using System.Diagnostics.Metrics;
using MassTransit.Logging;
using MassTransit.Monitoring;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Pressluft.Messaging.Outbox;
using Pressluft.Sagas.Gate;

namespace Pressluft.Runner.Telemetry;

/// <summary>
/// The service's own spans and instruments, and the names of everything it exports: MassTransit's activity source and
/// meter, the gate's and outbox's meters, and ours (<c>Pressluft</c>: the HTTP intake and one span per playbook run).
/// </summary>
public static class PressluftTelemetry
{
    public const string Name = "Pressluft";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>How long each playbook run took, by playbook and how the run ended (<c>ok</c> or <c>error</c>).</summary>
    public static readonly Histogram<double> PlaybookDuration = Meter.CreateHistogram<double>("pressluft.playbook.duration", unit: "s");

    /// <summary>How long each health check took on the node, by check and outcome.</summary>
    public static readonly Histogram<double> CheckDuration = Meter.CreateHistogram<double>("pressluft.check.duration", unit: "s");

    /// <summary>Rollbacks reported by the runners, by outcome (<c>completed</c> or <c>failed</c>).</summary>
    public static readonly Counter<long> Rollbacks = Meter.CreateCounter<long>("pressluft.rollbacks");

    /// <summary>Health verdicts reported by the runners, by verdict (<c>passed</c>, <c>failed</c>, <c>inconclusive</c>).</summary>
    public static readonly Counter<long> HealthVerdicts = Meter.CreateCounter<long>("pressluft.health_checks");

    public static TracerProviderBuilder AddPressluftSources(this TracerProviderBuilder builder) =>
        builder.AddSource(DiagnosticHeaders.DefaultListenerName, Name);

    /// <summary>
    /// Ours, MassTransit's, and the runtime's own (<c>System.Runtime</c>: GC heap and collections, bytes allocated, thread
    /// pool, CPU time, working set), which the bench reads to count the service's allocations per gate. The runtime's
    /// instruments are read only when scraped.
    /// </summary>
    public static MeterProviderBuilder AddPressluftMeters(this MeterProviderBuilder builder) =>
        builder.AddMeter(Name, GateMetrics.MeterName, OutboxMonitor.MeterName, InstrumentationOptions.MeterName, RuntimeMeterName);

    /// <summary>The runtime's built-in meter (.NET 9 and later).</summary>
    public const string RuntimeMeterName = "System.Runtime";
}
