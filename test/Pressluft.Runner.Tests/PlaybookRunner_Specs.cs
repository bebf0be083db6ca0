using System.Diagnostics;
using System.Text;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pressluft.Contracts;
using Pressluft.Runner.Ansible;
using Pressluft.Runner.Consumers;
using Pressluft.Runner.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Runner.Tests;

public sealed class When_a_playbook_hangs
{
    [Test]
    public async Task Should_kill_the_whole_process_tree_at_the_timeout()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        var seconds = Random.Shared.Next(700, 900);
        File.WriteAllText(Path.Combine(release.Path, ".wp-hang"), seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await using var provider = await world.StartHarnessAsync(_ => { }, new Dictionary<string, string?> { ["Pressluft:Ansible:CheckTimeoutSeconds"] = "300" });
        var tempBefore = JobDirectories();
        var variables = PlaybookRuns.HealthCheckVariables(world, release.Path);
        variables["health_check_timeout"] = 300;

        var stopwatch = Stopwatch.StartNew();
        var outcome = await PlaybookRuns.HealthCheckAsync(provider, world, variables, TimeSpan.FromSeconds(4));
        stopwatch.Stop();

        Assert.Multiple(async () =>
        {
            Assert.That(outcome.TimedOut, Is.True);
            Assert.That(outcome.ExitCode, Is.Null);
            Assert.That(outcome.ErrorCode, Is.EqualTo(ErrorCodes.AnsibleTimeout));
            Assert.That(stopwatch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "the run ended near its 4 s timeout, not when the hung command would have");
            Assert.That(await NoProcessRuns($"sleep\0{seconds}\0"), Is.True, "the hung command outlived the kill");
            Assert.That(JobDirectories().Except(tempBefore), Is.Empty, "the job's temp directory was left behind");
        });
    }

    [Test]
    public async Task Should_report_the_check_inconclusive_with_ANSIBLE_TIMEOUT()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        File.WriteAllText(Path.Combine(release.Path, ".wp-hang"), "650");
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<HealthCheckConsumer>(), new Dictionary<string, string?>
        {
            ["Pressluft:Ansible:CheckTimeoutSeconds"] = "300",
            ["Pressluft:Ansible:HealthCheckPlaybookTimeout"] = "00:00:04",
        });
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Check(world, release));

        Assert.That(await harness.Published.Any<HealthCheckFailed>(), Is.True, "no HealthCheckFailed");
        var failed = (await harness.Published.SelectAsync<HealthCheckFailed>().First()).Context.Message;
        Assert.Multiple(() =>
        {
            Assert.That(failed.Verdict, Is.EqualTo(HealthVerdicts.Inconclusive));
            Assert.That(failed.Error.Code, Is.EqualTo(ErrorCodes.HealthCheckInconclusive));
            Assert.That(failed.Error.Details.AnsibleCode, Is.EqualTo(ErrorCodes.AnsibleTimeout));
            Assert.That(failed.Error.Message, Does.Contain("killed after 4 s"));
        });
    }

    private static HashSet<string> JobDirectories() =>
        Directory.EnumerateDirectories(Path.GetTempPath(), "pressluft-job-*").ToHashSet();

    private static async Task<bool> NoProcessRuns(string commandLine)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (!Directory.EnumerateDirectories("/proc").Any(p => ReadCommandLine(p)?.StartsWith(commandLine, StringComparison.Ordinal) == true))
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }

    private static string? ReadCommandLine(string processDirectory)
    {
        try
        {
            return Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(processDirectory, "cmdline")));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

public sealed class When_a_node_name_could_inject_into_the_inventory
{
    [TestCase("node-1\nevil ansible_connection=local")]
    [TestCase("node-1 ansible_connection=local")]
    [TestCase("")]
    public async Task Should_refuse_to_run(string hostname)
    {
        await using var world = AnsibleWorld.Create();
        await using var provider = await world.StartHarnessAsync(_ => { });
        var runner = provider.GetRequiredService<AnsiblePlaybookRunner>();

        var run = () => runner.RunAsync(new PlaybookRun
        {
            Playbook = "health-check.yml",
            Hosts = [new PlaybookHost { JobId = Guid.NewGuid(), Node = world.Site.Node with { Hostname = hostname }, Variables = new Dictionary<string, object?>() }],
            Timeout = TimeSpan.FromSeconds(30),
        }, null, CancellationToken.None);

        Assert.That(run, Throws.ArgumentException.With.Message.Contains("is not a host name"));
    }
}

public sealed class When_a_playbook_prints_a_secret
{
    [Test]
    public async Task Should_log_its_output_lines_only_redacted()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        var ansible = StandInAnsiblePlaybook.Write(world.Root, "TASK [Check the database] db_password=hunter2 host=db-1");
        var logs = new CapturedLogs();
        await using var provider = await world.StartHarnessAsync(_ => { },
            new Dictionary<string, string?> { ["Pressluft:Ansible:AnsiblePlaybookPath"] = ansible },
            services => services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug)));

        var outcome = await PlaybookRuns.HealthCheckAsync(provider, world, PlaybookRuns.HealthCheckVariables(world, release.Path));

        var runnerLogs = logs.Of<AnsiblePlaybookRunner>();
        Assert.Multiple(() =>
        {
            Assert.That(runnerLogs, Has.Some.Contains("TASK [Check the database] db_password=*** host=db-1"), "the output line was not logged");
            Assert.That(logs.Entries.Select(e => e.Message), Has.None.Contains("hunter2"));
            Assert.That(outcome.OutputTail, Does.Not.Contain("hunter2"));
        });
    }
}

// Container images often set PYTHONUNBUFFERED. Passed on, it makes the Python that runs each module over a local
// connection read its piped module one byte per system call (about 0.3 s of CPU per host): the runner does not pass it on.
public sealed class When_the_runner_runs_with_PYTHONUNBUFFERED
{
    [Test]
    public async Task Should_not_pass_it_on_to_ansible_playbook()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        var ansible = StandInAnsiblePlaybook.Running(world.Root, "echo \"PYTHONUNBUFFERED=[${PYTHONUNBUFFERED-unset}]\"");
        var logs = new CapturedLogs();
        await using var provider = await world.StartHarnessAsync(_ => { },
            new Dictionary<string, string?> { ["Pressluft:Ansible:AnsiblePlaybookPath"] = ansible },
            services => services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug)));
        var before = Environment.GetEnvironmentVariable("PYTHONUNBUFFERED");
        Environment.SetEnvironmentVariable("PYTHONUNBUFFERED", "1");
        try
        {
            await PlaybookRuns.HealthCheckAsync(provider, world, PlaybookRuns.HealthCheckVariables(world, release.Path));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PYTHONUNBUFFERED", before);
        }

        var runnerLogs = logs.Of<AnsiblePlaybookRunner>();
        Assert.That(runnerLogs, Has.Some.Contains("PYTHONUNBUFFERED=[unset]").And.None.Contains("PYTHONUNBUFFERED=[1]"));
    }
}

public sealed class The_output_tail
{
    [TestCase("db_password=hunter2 next", "db_password=*** next")]
    [TestCase("\"api_key\": \"abc123\"", "\"api_key\": ***")]
    [TestCase("Authorization: Bearer eyJhbGciOi.x.y", "Authorization: ***")]
    [TestCase("fetching https://deploy:s3cret@git.example.test/repo.git", "fetching https://***@git.example.test/repo.git")]
    [TestCase("-----BEGIN OPENSSH PRIVATE KEY-----", "-----BEGIN ***PRIVATE KEY (redacted)-----")]
    [TestCase("TASK [Request the environment URL] ****", "TASK [Request the environment URL] ****")]
    [TestCase("DB_PassWord=hunter2 next", "DB_PassWord=*** next")]
    [TestCase("café au lait, db_password=hunter2", "café au lait, db_password=***")]
    // The Kelvin sign folds to k in the expression's case-insensitive match: non-ASCII text skips the quick word check.
    [TestCase("api_\u212Aey=abc123", "api_\u212Aey=***")]
    public void Should_redact_secret_like_values(string line, string expected) =>
        Assert.That(OutputTail.Redact(line), Is.EqualTo(expected));

    [Test]
    public void Should_keep_only_the_last_10_KB()
    {
        var tail = new OutputTail();
        for (var i = 0; i < 2000; i++)
        {
            tail.Append($"line {i:D5} " + new string('x', 20));
        }

        var text = tail.ToString();
        Assert.Multiple(() =>
        {
            Assert.That(text, Has.Length.EqualTo(OutputTail.DefaultCapacity));
            Assert.That(text, Does.EndWith("line 01999 " + new string('x', 20) + "\n"));
            Assert.That(text, Does.Not.Contain("line 00000"));
        });
    }
}
