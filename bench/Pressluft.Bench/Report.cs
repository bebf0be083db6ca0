using System.Globalization;

namespace Pressluft.Bench;

/// <summary>The table the bench ends with: each of issue 10's rows with its value, target and ratio, then context lines.</summary>
internal sealed class Report(TextWriter output)
{
    private readonly List<(string Metric, string Value, string Target, string Ratio, bool Pass)> _rows = [];
    private readonly List<(string What, string Value)> _info = [];

    public bool AllPassed => _rows.All(r => r.Pass);

    /// <summary>A row with a target; the ratio is value / target, so at most 1 passes when lower is better, at least 1 otherwise.</summary>
    public void Row(string metric, string value, string target, double measured, double goal, bool lowerIsBetter)
    {
        var ratio = measured / goal;
        var pass = lowerIsBetter ? ratio <= 1 : ratio >= 1;
        _rows.Add((metric, value, target, ratio.ToString("0.00", CultureInfo.InvariantCulture), pass));
        output.WriteLine($"  {metric}: {value} (target {target}) {(pass ? "pass" : "MISS")}");
    }

    public void Info(string what, string value)
    {
        _info.Add((what, value));
        output.WriteLine($"  {what}: {value}");
    }

    public void Print()
    {
        output.WriteLine();
        output.WriteLine("| metric | measured | must reach | ratio | |");
        output.WriteLine("|---|---|---|---|---|");
        foreach (var row in _rows)
        {
            output.WriteLine($"| {row.Metric} | {row.Value} | {row.Target} | {row.Ratio} | {(row.Pass ? "pass" : "MISS")} |");
        }

        output.WriteLine();
        foreach (var (what, value) in _info)
        {
            output.WriteLine($"{what}: {value}");
        }

        output.WriteLine($"load average at the end: {File.ReadAllText("/proc/loadavg").Trim()}; {Environment.ProcessorCount} cores");
    }
}
