using System.Diagnostics;
using System.Globalization;
using Pressluft.Faults;

// The fault-injection suite: each scenario prints one line; the exit code is 1 when any failed.
//   pressluft-faults [--scale <n>] [--only <number>[,<number>...]] [--results <folder>]
// --results writes each scenario's line to <folder>/scenarios.txt and "N passed, N failed, 0 skipped" to <folder>/summary.txt,
// and keeps each scenario's runner log there as <name>.log.
var scale = 1;
string? results = null;
var only = new HashSet<int>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--scale" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var n) && n >= 1:
            scale = n;
            i++;
            break;
        case "--results" when i + 1 < args.Length:
            results = args[++i];
            break;
        case "--only" when i + 1 < args.Length:
            only.UnionWith(args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)));
            break;
        default:
            Console.Error.WriteLine("usage: pressluft-faults [--scale <n>] [--only <number>[,<number>...]] [--results <folder>]");
            return 2;
    }
}

if (results is not null)
{
    Directory.CreateDirectory(results);
    File.WriteAllText(Path.Combine(results, "scenarios.txt"), "");
    // Written first as a failure, so a suite that dies half way never reads as passed.
    File.WriteAllText(Path.Combine(results, "summary.txt"), "0 passed, 1 failed, 0 skipped\n");
    FaultWorld.LogsDirectory = results;
}

var stack = new Stack();
var total = Stopwatch.StartNew();
int passed = 0, failed = 0;
foreach (var scenario in Scenarios.All.Where(s => only.Count == 0 || only.Contains(s.Number)))
{
    var watch = Stopwatch.StartNew();
    // A hard limit per scenario, so the suite can never hang CI; bigger runs get more time.
    var limit = scenario.Limit * Math.Sqrt(scale) + TimeSpan.FromSeconds(90);
    using var cancellation = new CancellationTokenSource(limit);
    Report report;
    try
    {
        report = await scenario.Run(stack, scale, cancellation.Token).WaitAsync(limit + TimeSpan.FromSeconds(20));
    }
    catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
    {
        report = new Report(scenario.Injected(scale)) { Problems = { $"did not finish within the hard limit of {limit.TotalSeconds:0} s" } };
    }
    catch (Exception exception)
    {
        report = new Report(scenario.Injected(scale)) { Problems = { $"the scenario broke: {exception.GetType().Name}: {exception.Message}" } };
    }

    var ok = report.Problems.Count == 0;
    foreach (var problem in report.Problems)
    {
        // The line shows the first few; every one goes to standard error.
        Console.Error.WriteLine($"fault {scenario.Number}: {problem}");
    }

    if (ok)
    {
        passed++;
    }
    else
    {
        failed++;
    }

    var recovery = report.Recovery is { } r ? $"; recovery {r.TotalSeconds:0.0} s" : "";
    var details = ok ? "" : " -- " + string.Join("; ", report.Problems.Take(6)) + (report.Problems.Count > 6 ? $"; and {report.Problems.Count - 6} more" : "");
    var line = $"fault {scenario.Number,2} {(ok ? "PASS" : "FAIL")}: {report.Injected}; checked {report.Checked}{recovery}; {watch.Elapsed.TotalSeconds:0} s{details}";
    Console.WriteLine(line);
    if (results is not null)
    {
        File.AppendAllText(Path.Combine(results, "scenarios.txt"), line + "\n");
    }

    RunnerProcess.KillStragglers();
}

if (results is not null)
{
    File.WriteAllText(Path.Combine(results, "summary.txt"), $"{passed} passed, {failed} failed, 0 skipped\n");
}

Console.WriteLine($"faults: {passed} passed, {failed} failed in {total.Elapsed.TotalSeconds:0} s (scale {scale})");
return failed == 0 ? 0 : 1;
