using System.Text.RegularExpressions;
using Pressluft.Contracts;
using Pressluft.Runner.Reporting;
using Spectre.Console;

namespace Pressluft.Runner.Tests;

/// <summary>Operators copy ids out of the tables: at 80 and 160 columns every id stays whole on one line.</summary>
public sealed class The_status_tables
{
    private static readonly Guid Environment = Guid.Parse("4f1d2c3b-5a69-4e7d-8c1b-2a3f4e5d6c7b");
    private static readonly Guid Release = Guid.Parse("7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9");
    private static readonly Guid Prior = Guid.Parse("2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901");
    private static readonly Guid Mutation = Guid.Parse("0b7c6f4e-1d2a-4c61-9b7e-0f9d3e1a2b3c");
    private static readonly Guid Job = Guid.Parse("18600000-3722-537b-b65c-08df4e6d2a51");

    [TestCase(80)]
    [TestCase(160)]
    public void Should_never_break_an_id_in_the_overview(int width) => AssertIdsWhole(width, console => LedgerTables.Overview(console, Overview()));

    [TestCase(80)]
    [TestCase(160)]
    public void Should_never_break_an_id_in_an_environments_history(int width) => AssertIdsWhole(width, console => LedgerTables.History(console, History()));

    [TestCase(80)]
    [TestCase(160)]
    public void Should_never_break_an_id_in_the_job_view(int width) => AssertIdsWhole(width, console => LedgerTables.Job(console, Detail()));

    private static void AssertIdsWhole(int width, Action<IAnsiConsole> render)
    {
        using var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = width;
        render(console);
        var text = output.ToString();

        // An id broken across lines leaves its first or last part without the whole id around it.
        Assert.Multiple(() =>
        {
            foreach (var id in new[] { Environment, Release, Prior, Mutation, Job }.Select(g => g.ToString()))
            {
                var whole = Count(text, id);
                Assert.That(Count(text, id[..8]), Is.EqualTo(whole), $"{id} broken at {width} columns:\n{text}");
                Assert.That(Count(text, id[^12..]), Is.EqualTo(whole), $"{id} broken at {width} columns:\n{text}");
            }

            Assert.That(Count(text, Job.ToString()), Is.GreaterThan(0), text);
        });
    }

    private static LedgerQueries.EnvironmentRow Row() =>
        new(Environment, Guid.NewGuid(), "shop", "production", EnvironmentStatuses.Active, EnvironmentStatuses.Active, Release, DateTime.UtcNow) { CurrentRelease = "20261129-1" };

    private static LedgerQueries.JobRow JobRow() =>
        new(Job, Environment, JobTypes.HealthCheck, JobStatuses.Failed, 1, ErrorCodes.HealthCheckFailed, $"Required checks failed: http (HTTP 500) on release {Release}",
            DateTime.UtcNow, DateTime.UtcNow);

    private static LedgerQueries.Overview Overview() => new([Row()], [JobRow()]);

    private static LedgerQueries.History History() => new(
        Row(),
        [new LedgerQueries.ReleaseRow(Release, "20261129-1", "/var/www/sites/shop/releases/20261129-1", ReleaseHealth.Unhealthy, true, DateTime.UtcNow)],
        [new LedgerQueries.GateRow(Mutation, JobTypes.EnvDeploy, Release, GateModes.Enforce, GateOutcomes.RolledBack, ErrorCodes.HealthCheckFailed, DateTime.UtcNow,
            DateTime.UtcNow, $"release {Release} rolled back to {Prior}, which passed its health check")],
        [JobRow()],
        [new LedgerQueries.ChangeRow(DateTime.UtcNow, "environment", EnvironmentStatuses.Deploying, EnvironmentStatuses.Active, $"release {Release} rolled back to {Prior}")]);

    private static LedgerQueries.JobDetail Detail() => new(JobRow(), Mutation, "shop", "production", ErrorCodes.HealthCheckFailed, "Required checks failed: http (HTTP 500)",
        false, [new CheckResult { Check = CheckNames.Http, Outcome = CheckOutcomes.Failed, Detail = $"HTTP 500 from release {Release}", Attempts = 2, DurationMs = 120 }],
        2, null, "PLAY RECAP ...");

    private static int Count(string text, string part) => Regex.Count(text, Regex.Escape(part));
}
