using System.Text.Json;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Contracts;
using Pressluft.Runner.Consumers;
using Pressluft.Runner.Tests.Support;

namespace Pressluft.Runner.Tests;

public sealed class When_ansible_checks_a_healthy_release
{
    [Test]
    public async Task Should_pass_every_required_check()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<HealthCheckConsumer>());
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Check(world, release));

        Assert.That(await harness.Published.Any<HealthCheckPassed>(), Is.True, "no HealthCheckPassed");
        var passed = (await harness.Published.SelectAsync<HealthCheckPassed>().First()).Context.Message;
        Assert.Multiple(async () =>
        {
            Assert.That(passed.Checks.Select(c => (c.Check, c.Outcome)), Is.EquivalentTo(new[]
            {
                (CheckNames.Http, CheckOutcomes.Passed),
                (CheckNames.WordPressInstalled, CheckOutcomes.Passed),
                (CheckNames.Database, CheckOutcomes.Passed),
            }));
            Assert.That(passed.Checks.Single(c => c.Check == CheckNames.Http).Detail, Is.EqualTo("HTTP 200"));
            Assert.That(await harness.Published.Any<JobStarted>(x => x.Context.Message.JobType == JobTypes.HealthCheck), Is.True);
        });
    }
}

public sealed class When_ansible_checks_a_release_that_answers_500
{
    [Test]
    public async Task Should_fail_with_HEALTH_CHECK_FAILED_naming_the_http_check()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("broken", httpStatus: 500);
        world.Site.MakeCurrent(release);
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<HealthCheckConsumer>());
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Check(world, release));

        Assert.That(await harness.Published.Any<HealthCheckFailed>(), Is.True, "no HealthCheckFailed");
        var failed = (await harness.Published.SelectAsync<HealthCheckFailed>().First()).Context.Message;
        var http = failed.Error.Details.Checks.Single(c => c.Check == CheckNames.Http);
        Assert.Multiple(() =>
        {
            Assert.That(failed.Verdict, Is.EqualTo(HealthVerdicts.Failed));
            Assert.That(failed.Error.Code, Is.EqualTo(ErrorCodes.HealthCheckFailed));
            Assert.That(failed.Error.Message, Does.Contain("http (HTTP 500)"));
            Assert.That(http.Outcome, Is.EqualTo(CheckOutcomes.Failed));
            Assert.That(http.Attempts, Is.EqualTo(2), "a check is retried once before it fails");
            Assert.That(failed.Error.Details.Checks.Where(c => c.Check != CheckNames.Http).Select(c => c.Outcome), Has.All.EqualTo(CheckOutcomes.Passed));
            Assert.That(failed.Error.Details.ExitCode, Is.EqualTo(2));
            Assert.That(failed.Error.Details.OutputTail, Does.Contain("\"event\": \"result\"").And.Contain(HealthCheckVariables.ChecksModule),
                "the host's result line is in the output tail");
            Assert.That(failed.Error.Details.OutputTail!.Length, Is.LessThanOrEqualTo(10 * 1024));
        });
    }

    [Test]
    public async Task Should_name_the_wp_cli_check_when_wordpress_is_not_installed()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("no-wp");
        File.WriteAllText(Path.Combine(release.Path, ".wp-broken"), "");
        world.Site.MakeCurrent(release);
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<HealthCheckConsumer>());
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Check(world, release));

        Assert.That(await harness.Published.Any<HealthCheckFailed>(), Is.True, "no HealthCheckFailed");
        var failed = (await harness.Published.SelectAsync<HealthCheckFailed>().First()).Context.Message;
        Assert.Multiple(() =>
        {
            Assert.That(failed.Error.Code, Is.EqualTo(ErrorCodes.HealthCheckFailed));
            Assert.That(failed.Error.Details.Checks.Single(c => c.Check == CheckNames.WordPressInstalled).Outcome, Is.EqualTo(CheckOutcomes.Failed));
            Assert.That(failed.Error.Details.Checks.Single(c => c.Check == CheckNames.Http).Outcome, Is.EqualTo(CheckOutcomes.Passed));
        });
    }
}

public sealed class When_ansible_cannot_reach_the_node
{
    [Test]
    public async Task Should_answer_inconclusive_with_the_unreachable_code()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<HealthCheckConsumer>(),
            new Dictionary<string, string?> { ["Pressluft:Ansible:Connection"] = "ssh" });
        var harness = provider.GetRequiredService<ITestHarness>();

        // Nothing listens on port 1 of the loopback address, so ssh fails at once.
        await harness.Bus.Publish(Requests.Check(world, release) with { Node = new NodeRef { Id = Guid.NewGuid(), Hostname = "127.0.0.1", SshPort = 1, SshUser = "nobody" } });

        Assert.That(await harness.Published.Any<HealthCheckFailed>(), Is.True, "no HealthCheckFailed");
        var failed = (await harness.Published.SelectAsync<HealthCheckFailed>().First()).Context.Message;
        Assert.Multiple(() =>
        {
            Assert.That(failed.Verdict, Is.EqualTo(HealthVerdicts.Inconclusive));
            Assert.That(failed.Error.Code, Is.EqualTo(ErrorCodes.HealthCheckInconclusive));
            Assert.That(failed.Error.Details.ExitCode, Is.EqualTo(4));
            Assert.That(failed.Error.Details.AnsibleCode, Is.EqualTo(ErrorCodes.AnsibleHostUnreachable));
        });
    }
}

public sealed class When_a_check_result_leaves_a_required_check_out
{
    // Whatever prints the result (a forged line, a module that lost a check): what was not measured cannot pass.
    [Test]
    public async Task Should_answer_inconclusive_not_passed()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        var request = Requests.Check(world, release);
        var onlyHttp = JsonSerializer.Serialize(new
        {
            @event = "result",
            host = $"job_{request.JobId:N}",
            task = "Run the health checks",
            action = HealthCheckVariables.ChecksModule,
            status = "ok",
            result = new { changed = false, checks = new[] { new { check = CheckNames.Http, outcome = CheckOutcomes.Passed, detail = "HTTP 200", attempts = 1, durationMs = 5 } } },
        });
        var ansible = StandInAnsiblePlaybook.Write(world.Root, onlyHttp);
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<HealthCheckConsumer>(),
            new Dictionary<string, string?> { ["Pressluft:Ansible:AnsiblePlaybookPath"] = ansible });
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(request);

        var answer = (await harness.Published.SelectAsync(f => f.Includes.Add<HealthCheckPassed>().Add<HealthCheckFailed>()).First()).MessageObject;
        Assert.That(answer, Is.TypeOf<HealthCheckFailed>(), "a result with only the http check passed the release");
        var failed = (HealthCheckFailed)answer;
        Assert.Multiple(() =>
        {
            Assert.That(failed.Verdict, Is.EqualTo(HealthVerdicts.Inconclusive));
            Assert.That(failed.Error.Message, Does.Contain($"{CheckNames.WordPressInstalled} (no result)").And.Contain($"{CheckNames.Database} (no result)"));
        });
    }
}
