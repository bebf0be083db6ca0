using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Contracts;
using Pressluft.Runner.Ansible;
using Pressluft.Runner.Consumers;
using Pressluft.Runner.Tests.Support;

namespace Pressluft.Runner.Tests;

public sealed class When_ansible_rolls_a_site_back
{
    [Test]
    public async Task Should_switch_current_to_the_prior_release_and_mark_the_one_it_left()
    {
        await using var world = AnsibleWorld.Create();
        var good = world.Site.AddRelease("r1");
        var broken = world.Site.AddRelease("r2", httpStatus: 500);
        world.Site.MakeCurrent(broken);
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<ReleaseRollbackConsumer>());
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Rollback(world, broken, good));

        Assert.That(await harness.Published.Any<RollbackCompleted>(), Is.True, "no RollbackCompleted");
        var marker = Path.Combine(broken.Path, ".pressluft-rolled-back");
        Assert.Multiple(() =>
        {
            Assert.That(world.Site.CurrentTarget, Is.EqualTo(good.Path));
            Assert.That(new FileInfo(world.Site.CurrentPath).LinkTarget, Is.Not.Null, "current is still a symlink");
            Assert.That(File.Exists(marker), Is.True);
            Assert.That(File.ReadAllText(marker), Does.Contain("HEALTH_CHECK_FAILED"));
            Assert.That(Directory.Exists(broken.Path), Is.True, "the rolled-back release is kept for forensics");
        });
    }

    [Test]
    public async Task Should_purge_the_fastcgi_cache_when_a_cache_path_is_configured()
    {
        await using var world = AnsibleWorld.Create();
        var good = world.Site.AddRelease("r1");
        var broken = world.Site.AddRelease("r2", httpStatus: 500);
        world.Site.MakeCurrent(broken);
        var cache = Directory.CreateDirectory(Path.Combine(world.Root, "fastcgi-cache")).FullName;
        Directory.CreateDirectory(Path.Combine(cache, "a", "bc"));
        File.WriteAllText(Path.Combine(cache, "a", "bc", "0123"), "cached page");
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<ReleaseRollbackConsumer>(),
            new Dictionary<string, string?> { ["Pressluft:Ansible:FastCgiCachePath"] = cache });
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Rollback(world, broken, good));

        Assert.That(await harness.Published.Any<RollbackCompleted>(), Is.True, "no RollbackCompleted");
        Assert.Multiple(() =>
        {
            Assert.That(Directory.Exists(cache), Is.True);
            Assert.That(Directory.EnumerateFileSystemEntries(cache), Is.Empty);
        });
    }
}

public sealed class When_the_rollback_playbook_exits_without_a_result
{
    [Test]
    public async Task Should_report_the_rollback_failed_not_completed()
    {
        await using var world = AnsibleWorld.Create();
        var good = world.Site.AddRelease("r1");
        var broken = world.Site.AddRelease("r2", httpStatus: 500);
        world.Site.MakeCurrent(broken);
        var ansible = StandInAnsiblePlaybook.Write(world.Root, "PLAY RECAP *********", "node : ok=4 changed=0 unreachable=0 failed=0");
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<ReleaseRollbackConsumer>(),
            new Dictionary<string, string?> { ["Pressluft:Ansible:AnsiblePlaybookPath"] = ansible });
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Rollback(world, broken, good));

        var answers = harness.Published.SelectAsync(f => f.Includes.Add<RollbackCompleted>().Add<RollbackFailed>());
        var answer = (await answers.First()).MessageObject;
        Assert.That(answer, Is.TypeOf<RollbackFailed>(), "a rollback that left no result was reported completed");
        var failed = (RollbackFailed)answer;
        Assert.Multiple(() =>
        {
            Assert.That(failed.Error.Code, Is.EqualTo(ErrorCodes.RollbackFailed));
            Assert.That(failed.Error.Message, Does.Contain("No rollback result"));
            Assert.That(failed.Error.Details.ExitCode, Is.Zero);
        });
    }
}

public sealed class When_a_rollback_target_is_not_a_release_of_the_site
{
    private static IEnumerable<TestCaseData> Targets()
    {
        yield return new TestCaseData("../../outside").SetName("a path that climbs out of releases/");
        yield return new TestCaseData("/etc").SetName("a directory outside the sites root");
        yield return new TestCaseData("{other-site}").SetName("a release of another site");
    }

    // The runner refuses these by the field rules before Ansible starts; the playbook must refuse them on its own too,
    // should a request ever reach it another way.
    [TestCaseSource(nameof(Targets))]
    public async Task Should_be_refused_by_the_runner_without_running_anything(string target)
    {
        await using var world = AnsibleWorld.Create();
        var broken = world.Site.AddRelease("r2", httpStatus: 500);
        world.Site.MakeCurrent(broken);
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<ReleaseRollbackConsumer>());
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Rollback(world, broken, new ReleaseRef { Id = Guid.NewGuid(), Path = TargetPath(world, target) }));

        Assert.That(await harness.Published.Any<RollbackFailed>(), Is.True, "no RollbackFailed");
        var failed = (await harness.Published.SelectAsync<RollbackFailed>().First()).Context.Message;
        Assert.Multiple(() =>
        {
            Assert.That(failed.Error.Code, Is.EqualTo(ErrorCodes.JobRejected));
            Assert.That(failed.Error.Message, Does.Contain("is not a release directory of site"));
            Assert.That(failed.Error.Details.ExitCode, Is.Null, "ansible-playbook ran");
            Assert.That(world.Site.CurrentTarget, Is.EqualTo(broken.Path));
            Assert.That(File.Exists(Path.Combine(broken.Path, ".pressluft-rolled-back")), Is.False);
        });
    }

    [TestCaseSource(nameof(Targets))]
    public async Task Should_be_refused_by_the_playbook_and_leave_current_untouched(string target)
    {
        await using var world = AnsibleWorld.Create();
        var broken = world.Site.AddRelease("r2", httpStatus: 500);
        world.Site.MakeCurrent(broken);
        await using var provider = await world.StartHarnessAsync(_ => { });

        var outcome = await PlaybookRuns.RollbackAsync(world, provider, broken.Path, TargetPath(world, target));

        Assert.Multiple(() =>
        {
            Assert.That(outcome.ExitCode, Is.EqualTo(2));
            Assert.That(outcome.ErrorCode, Is.EqualTo(ErrorCodes.AnsibleHostFailed));
            Assert.That(outcome.Status, Is.EqualTo(HostStatus.Failed));
            Assert.That(outcome.Failure?.Text("msg"), Does.Contain("is not a release directory of site"));
            Assert.That(world.Site.CurrentTarget, Is.EqualTo(broken.Path));
            Assert.That(File.Exists(Path.Combine(broken.Path, ".pressluft-rolled-back")), Is.False);
        });
    }

    [Test]
    public async Task Should_refuse_a_release_directory_that_does_not_exist()
    {
        await using var world = AnsibleWorld.Create();
        var broken = world.Site.AddRelease("r2", httpStatus: 500);
        world.Site.MakeCurrent(broken);
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<ReleaseRollbackConsumer>());
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Rollback(world, broken, new ReleaseRef { Id = Guid.NewGuid(), Path = TargetPath(world, "{missing}") }));

        Assert.That(await harness.Published.Any<RollbackFailed>(), Is.True, "no RollbackFailed");
        var failed = (await harness.Published.SelectAsync<RollbackFailed>().First()).Context.Message;
        Assert.Multiple(() =>
        {
            Assert.That(failed.Error.Code, Is.EqualTo(ErrorCodes.RollbackFailed));
            Assert.That(failed.Error.Message, Does.Contain("is not a release directory of site"));
            Assert.That(failed.Error.Details.AnsibleCode, Is.EqualTo(ErrorCodes.AnsibleHostFailed));
            Assert.That(world.Site.CurrentTarget, Is.EqualTo(broken.Path));
            Assert.That(File.Exists(Path.Combine(broken.Path, ".pressluft-rolled-back")), Is.False);
        });
    }

    [Test]
    public async Task Should_refuse_a_stale_rollback_after_a_newer_release_went_live()
    {
        await using var world = AnsibleWorld.Create();
        var good = world.Site.AddRelease("r1");
        var broken = world.Site.AddRelease("r2", httpStatus: 500);
        var newer = world.Site.AddRelease("r3");
        world.Site.MakeCurrent(newer);
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<ReleaseRollbackConsumer>());
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Rollback(world, broken, good));

        Assert.That(await harness.Published.Any<RollbackFailed>(), Is.True, "no RollbackFailed");
        var failed = (await harness.Published.SelectAsync<RollbackFailed>().First()).Context.Message;
        Assert.Multiple(() =>
        {
            Assert.That(failed.Error.Message, Does.Contain("rollback is stale"));
            Assert.That(world.Site.CurrentTarget, Is.EqualTo(newer.Path));
        });
    }

    private static string TargetPath(AnsibleWorld world, string target) => target switch
    {
        "{other-site}" => new Demo.LocalSite(world.SitesRoot).AddRelease("r1").Path,
        "{missing}" => Path.Combine(world.Site.SitePath, "releases", "r0"),
        _ when target.StartsWith('/') => target,
        _ => Path.Combine(world.Site.SitePath, "releases", target),
    };
}

public sealed class When_a_rollback_prints_its_recap
{
    // A stand-in ansible-playbook that reports the switch and the host's recap, then takes its time to exit.
    private static string SlowToExit(AnsibleWorld world, Guid jobId, string status, int failed, int unreachable, string exited)
    {
        var host = $"job_{jobId:N}";
        var path = Path.Combine(world.Root, "ansible-playbook");
        File.WriteAllText(path, $$$"""
            #!/bin/sh
            echo '{"event": "result", "host": "{{{host}}}", "task": "Point current at the earlier release", "action": "{{{ReleaseRollbackVariables.SwitchModule}}}", "status": "{{{status}}}", "result": {"changed": true, "msg": "switch {{{status}}}"}}'
            echo '{"event": "recap", "host": "{{{host}}}", "ok": 1, "changed": 1, "failed": {{{failed}}}, "unreachable": {{{unreachable}}}, "skipped": 0, "rescued": 0, "ignored": 0}'
            sleep 60
            touch '{{{exited}}}'

            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [TestCase("ok", 0, 0, typeof(RollbackCompleted), null, TestName = "a recap without failures: completed")]
    [TestCase("failed", 1, 0, typeof(RollbackFailed), 2, TestName = "a recap with a failure: failed")]
    [TestCase("failed", 0, 0, typeof(RollbackFailed), 2, TestName = "a failed result under a recap that counts none: failed")]
    [TestCase("ok", 0, 1, typeof(RollbackFailed), 4, TestName = "a recap that counts the node unreachable: failed")]
    public async Task Should_be_answered_before_ansible_playbook_has_exited(string status, int failed, int unreachable, Type answerType, int? exitCode)
    {
        await using var world = AnsibleWorld.Create();
        var good = world.Site.AddRelease("r1");
        var broken = world.Site.AddRelease("r2", httpStatus: 500);
        world.Site.MakeCurrent(broken);
        var request = Requests.Rollback(world, broken, good);
        var exited = Path.Combine(world.Root, "exited");
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<ReleaseRollbackConsumer>(),
            new Dictionary<string, string?> { ["Pressluft:Ansible:AnsiblePlaybookPath"] = SlowToExit(world, request.JobId, status, failed, unreachable, exited) });
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(request);

        var answers = harness.Published.SelectAsync(f => f.Includes.Add<RollbackCompleted>().Add<RollbackFailed>());
        var answer = (await answers.First()).MessageObject;
        Assert.Multiple(() =>
        {
            Assert.That(answer, Is.TypeOf(answerType));
            Assert.That(File.Exists(exited), Is.False, "the answer waited for ansible-playbook to exit after the recap");
            if (answer is RollbackFailed rollbackFailed)
            {
                Assert.That(rollbackFailed.Error.Details.ExitCode, Is.EqualTo(exitCode));
                Assert.That(rollbackFailed.Error.Details.AnsibleCode, Is.EqualTo(ErrorCodes.ForAnsibleExit(exitCode!.Value)));
                Assert.That(rollbackFailed.Error.Message, status == "failed" ? Is.EqualTo("switch failed") : Does.StartWith("No rollback result"));
            }
        });
    }
}
