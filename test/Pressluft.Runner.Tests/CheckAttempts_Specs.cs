using System.Globalization;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Contracts;
using Pressluft.Runner.Consumers;
using Pressluft.Runner.Tests.Support;

namespace Pressluft.Runner.Tests;

// Timeouts are per attempt, and a check that could not finish is inconclusive, never failed (issue 9): a slow first
// attempt is retried, and only a completed measurement that is wrong fails a check.

public sealed class When_a_check_is_slow_only_on_its_first_attempt
{
    [Test]
    public async Task Should_try_it_again_and_pass()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        var seconds = Random.Shared.Next(700, 900);
        var wp = ScriptedWpCli.SlowFirstAttempt(world.Root, seconds);
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<HealthCheckConsumer>(), new Dictionary<string, string?>
        {
            ["Pressluft:Ansible:WpCliPath"] = wp,
            ["Pressluft:Ansible:CheckTimeoutSeconds"] = "2",
            ["Pressluft:Ansible:CheckRetries"] = "1",
        });
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Check(world, release));

        Assert.That(await harness.Published.Any<HealthCheckPassed>(), Is.True, "the retried check did not pass");
        var passed = (await harness.Published.SelectAsync<HealthCheckPassed>().First()).Context.Message;
        Assert.Multiple(async () =>
        {
            Assert.That(passed.Checks.Single(c => c.Check == CheckNames.WordPressInstalled).Attempts, Is.EqualTo(2));
            Assert.That(passed.Checks.Single(c => c.Check == CheckNames.Database).Attempts, Is.EqualTo(2));
            Assert.That(passed.Checks.Single(c => c.Check == CheckNames.Http).Attempts, Is.EqualTo(1));
            Assert.That(await Processes.NoneLeftAsync(pid => Processes.CommandLineStartsWith(pid, "sleep", Seconds(seconds)), TimeSpan.FromSeconds(10)),
                Is.True, "the first attempt's hung command outlived its time limit");
        });
    }

    private static string Seconds(int seconds) => seconds.ToString(CultureInfo.InvariantCulture);
}

public sealed class When_a_check_never_finishes_within_its_time_limit
{
    [Test]
    public async Task Should_answer_inconclusive_not_failed()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        var seconds = Random.Shared.Next(700, 900);
        File.WriteAllText(Path.Combine(release.Path, ".wp-hang"), seconds.ToString(CultureInfo.InvariantCulture));
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<HealthCheckConsumer>(), new Dictionary<string, string?>
        {
            ["Pressluft:Ansible:CheckTimeoutSeconds"] = "1",
            ["Pressluft:Ansible:CheckRetries"] = "1",
        });
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Check(world, release));

        Assert.That(await harness.Published.Any<HealthCheckFailed>(), Is.True, "no answer");
        var failed = (await harness.Published.SelectAsync<HealthCheckFailed>().First()).Context.Message;
        var wp = failed.Error.Details.Checks.Single(c => c.Check == CheckNames.WordPressInstalled);
        Assert.Multiple(async () =>
        {
            Assert.That(failed.Verdict, Is.EqualTo(HealthVerdicts.Inconclusive), "a check that ran out of time was called failed");
            Assert.That(failed.Error.Code, Is.EqualTo(ErrorCodes.HealthCheckInconclusive));
            Assert.That(failed.Error.Retryable, Is.True);
            Assert.That(wp.Outcome, Is.EqualTo(CheckOutcomes.Inconclusive));
            Assert.That(wp.Attempts, Is.EqualTo(2), "each attempt has its own time limit, so the second one ran");
            Assert.That(wp.Detail, Does.Contain("did not finish within 1 s"));
            Assert.That(failed.Error.Details.Checks.Single(c => c.Check == CheckNames.Http).Outcome, Is.EqualTo(CheckOutcomes.Passed));
            Assert.That(failed.Error.Message, Does.Contain("could not be measured").And.Contain(CheckNames.WordPressInstalled));
            Assert.That(await Processes.NoneLeftAsync(pid => Processes.CommandLineStartsWith(pid, "sleep", seconds.ToString(CultureInfo.InvariantCulture)),
                TimeSpan.FromSeconds(10)), Is.True, "a hung WP-CLI outlived its attempt");
        });
    }
}

public sealed class When_the_site_dribbles_its_answer
{
    // One header line a second keeps each read within any socket timeout; the attempt's own limit still ends it.
    [Test]
    public async Task Should_end_each_attempt_at_its_time_limit_and_answer_inconclusive()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        await using var dribbling = new RawHttpServer(["HTTP/1.1 200 OK", "X-Slow: 1"], TimeSpan.FromSeconds(1), repeatLast: true);
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<HealthCheckConsumer>(), new Dictionary<string, string?>
        {
            ["Pressluft:Ansible:CheckTimeoutSeconds"] = "2",
            ["Pressluft:Ansible:CheckRetries"] = "1",
        });
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Check(world, release) with { EnvironmentUrl = dribbling.Url.ToString() });

        Assert.That(await harness.Published.Any<HealthCheckFailed>(), Is.True, "no answer");
        var failed = (await harness.Published.SelectAsync<HealthCheckFailed>().First()).Context.Message;
        var http = failed.Error.Details.Checks.SingleOrDefault(c => c.Check == CheckNames.Http);
        Assert.Multiple(() =>
        {
            Assert.That(http, Is.Not.Null, "the checks never reported: the request outlived the playbook");
            Assert.That(failed.Verdict, Is.EqualTo(HealthVerdicts.Inconclusive));
            Assert.That(http!.Outcome, Is.EqualTo(CheckOutcomes.Inconclusive));
            Assert.That(http.Attempts, Is.EqualTo(2));
            Assert.That(http.Detail, Does.Contain("no complete answer within 2 s"));
        });
    }
}

public sealed class When_nothing_listens_at_the_environment_url
{
    [Test]
    public async Task Should_call_the_http_check_inconclusive()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<HealthCheckConsumer>());
        var harness = provider.GetRequiredService<ITestHarness>();

        // Port 1 of the loopback address: the connection is refused at once, so nothing was measured.
        await harness.Bus.Publish(Requests.Check(world, release) with { EnvironmentUrl = "http://127.0.0.1:1/" });

        Assert.That(await harness.Published.Any<HealthCheckFailed>(), Is.True, "no answer");
        var failed = (await harness.Published.SelectAsync<HealthCheckFailed>().First()).Context.Message;
        var http = failed.Error.Details.Checks.Single(c => c.Check == CheckNames.Http);
        Assert.Multiple(() =>
        {
            Assert.That(failed.Verdict, Is.EqualTo(HealthVerdicts.Inconclusive));
            Assert.That(http.Outcome, Is.EqualTo(CheckOutcomes.Inconclusive));
            Assert.That(http.Detail, Does.StartWith("no answer"));
        });
    }
}
