using System.Diagnostics.Metrics;

namespace Pressluft.Sagas.Gate;

/// <summary>Counters an operator can scrape (meter <c>Pressluft.Gate</c>).</summary>
public static class GateMetrics
{
    public const string MeterName = "Pressluft.Gate";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> GatesStarted = Meter.CreateCounter<long>("pressluft.gates.started");
    public static readonly Counter<long> GatesCompleted = Meter.CreateCounter<long>("pressluft.gates.completed");
    public static readonly Counter<long> StaleAnswers = Meter.CreateCounter<long>("pressluft.gate.stale_answers");
    public static readonly Counter<long> IgnoredMutations = Meter.CreateCounter<long>("pressluft.gate.ignored_mutations");

    /// <summary>Counts a gate that ended, by outcome and by the mode it ran in (a report-only failure is not an enforced one).</summary>
    public static void GateCompleted(string outcome, string mode) =>
        GatesCompleted.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("mode", mode));
}
