namespace Pressluft.Faults;

/// <summary>What a scenario prints: what it injected, what it checked, what went wrong, how long recovery took.</summary>
internal sealed class Report(string injected)
{
    public string Injected { get; set; } = injected;
    public string Checked { get; set; } = Invariants.Names;
    public List<string> Problems { get; } = [];
    public TimeSpan? Recovery { get; set; }
}
