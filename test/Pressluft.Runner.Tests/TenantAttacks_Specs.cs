using System.Globalization;
using System.Text.RegularExpressions;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Contracts;
using Pressluft.Runner.Consumers;
using Pressluft.Runner.Tests.Support;

namespace Pressluft.Runner.Tests;

// Attacks by a tenant who controls a WordPress site on a node (its PHP, what WP-CLI prints, files it can write), run
// with the real ansible-playbook against local directories.

public sealed partial class When_a_site_floods_wp_cli_output
{
    // A plugin that prints a few hundred MB while `wp core is-installed` loads it must not make the module on the node
    // hold all of it: both WP-CLI checks run at once, so unbounded reading costs twice the flood in the node's memory
    // (and a flood of several GB within the time limit takes the node's memory, other tenants' PHP and MySQL with it).
    [Test]
    public async Task Should_keep_only_a_bounded_part_of_it_in_memory()
    {
        const int floodMegabytes = 200;
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        var wp = ScriptedWpCli.Flooding(world.Root, floodMegabytes);
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<HealthCheckConsumer>(), new Dictionary<string, string?>
        {
            ["Pressluft:Ansible:WpCliPath"] = wp,
            ["Pressluft:Ansible:CheckTimeoutSeconds"] = "30",
            ["Pressluft:Ansible:CheckRetries"] = "0",
        });
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Check(world, release));

        Assert.That(await harness.Published.Any<HealthCheckFailed>(), Is.True, "no answer");
        var failed = (await harness.Published.SelectAsync<HealthCheckFailed>().First()).Context.Message;
        var wpCheck = failed.Error.Details.Checks.Single(c => c.Check == CheckNames.WordPressInstalled);
        var peak = PeakKilobytes().Match(wpCheck.Detail ?? "");
        Assert.Multiple(() =>
        {
            Assert.That(wpCheck.Outcome, Is.EqualTo(CheckOutcomes.Failed), "the flooding command exits 1: a measurement");
            Assert.That(peak.Success, Is.True, $"the stand-in's report is missing from the detail: {wpCheck.Detail}");
            Assert.That(long.Parse(peak.Groups["kb"].Value, CultureInfo.InvariantCulture) / 1024, Is.LessThan(floodMegabytes / 2),
                "the module held the flood in memory (peak MB)");
        });
    }

    [GeneratedRegex(@"reader-peak-kb=(?<kb>[0-9]+)")]
    private static partial Regex PeakKilobytes();
}

public sealed class When_a_tenant_plants_an_entry_the_cache_purge_cannot_remove
{
    // The FastCGI cache is one folder for all sites of a node, written by the web server, so a tenant's PHP can leave
    // things in it: here a directory nested thousands deep, which the module's recursive removal cannot take. The purge
    // comes after `current` was switched; it must not turn a done rollback into a failed one (the environment ends
    // `failed` while it serves the restored release, for every tenant of the node rolled back after the trap was set).
    [Test]
    public async Task Should_still_report_the_rollback_completed_and_purge_the_rest()
    {
        await using var world = AnsibleWorld.Create();
        var good = world.Site.AddRelease("r1");
        var broken = world.Site.AddRelease("r2", httpStatus: 500);
        world.Site.MakeCurrent(broken);
        var cache = Directory.CreateDirectory(Path.Combine(world.Root, "fastcgi-cache")).FullName;
        Directory.CreateDirectory(Path.Combine(cache, "a", "bc"));
        File.WriteAllText(Path.Combine(cache, "a", "bc", "0123"), "cached page");
        await NestDeeplyAsync(Path.Combine(cache, "trap"), depth: 3000);
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<ReleaseRollbackConsumer>(),
            new Dictionary<string, string?> { ["Pressluft:Ansible:FastCgiCachePath"] = cache });
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Rollback(world, broken, good));

        try
        {
            var answers = harness.Published.SelectAsync(f => f.Includes.Add<RollbackCompleted>().Add<RollbackFailed>());
            var answer = (await answers.First()).MessageObject;
            Assert.Multiple(() =>
            {
                Assert.That(world.Site.CurrentTarget, Is.EqualTo(good.Path));
                Assert.That(answer, Is.TypeOf<RollbackCompleted>(),
                    $"a rollback that switched current was reported: {(answer as RollbackFailed)?.Error.Message}");
                Assert.That(Directory.Exists(Path.Combine(cache, "a")), Is.False, "the cache's other entries were left");
            });
        }
        finally
        {
            // Too deep for the world's own clean-up; rm removes it one level at a time.
            using var rm = System.Diagnostics.Process.Start("rm", ["-rf", Path.Combine(cache, "trap")]);
            await rm.WaitForExitAsync();
        }
    }

    // Deeper than PATH_MAX allows in one path, so made one level at a time, relative to the last.
    private static async Task NestDeeplyAsync(string top, int depth)
    {
        using var python = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("python3")
        {
            ArgumentList =
            {
                "-c",
                "import os, sys\nos.mkdir(sys.argv[1])\nfd = os.open(sys.argv[1], os.O_RDONLY)\nfor _ in range(int(sys.argv[2])):\n"
                + "    os.mkdir('d', dir_fd=fd)\n    inner = os.open('d', os.O_RDONLY, dir_fd=fd)\n    os.close(fd)\n    fd = inner\n",
                top, depth.ToString(CultureInfo.InvariantCulture),
            },
        })!;
        await python.WaitForExitAsync();
        Assert.That(python.ExitCode, Is.Zero, "could not build the nested directory");
    }
}

public sealed class When_node_output_holds_line_breaks_and_terminal_escapes
{
    // What a node prints reaches the runner's log (a text template that writes strings raw), the ledger's error text and
    // whatever shows it to an operator: a tenant's line break starts a forged log line, an escape sequence drives the
    // operator's terminal. Node text is shown with such characters replaced.
    [Test]
    public async Task Should_keep_them_out_of_the_check_detail_and_the_error_message()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        var wp = ScriptedWpCli.ForgingLogLines(world.Root);
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<HealthCheckConsumer>(), new Dictionary<string, string?>
        {
            ["Pressluft:Ansible:WpCliPath"] = wp,
            ["Pressluft:Ansible:CheckRetries"] = "0",
        });
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Check(world, release));

        Assert.That(await harness.Published.Any<HealthCheckFailed>(), Is.True, "no answer");
        var failed = (await harness.Published.SelectAsync<HealthCheckFailed>().First()).Context.Message;
        var detail = failed.Error.Details.Checks.Single(c => c.Check == CheckNames.WordPressInstalled).Detail ?? "";
        Assert.Multiple(() =>
        {
            Assert.That(detail, Does.Contain("Error: broken").And.Contain("Health check passed, all good"), "the node's words are still shown");
            Assert.That(detail.Where(IsControl), Is.Empty, $"control characters in the detail: {Escaped(detail)}");
            Assert.That(failed.Error.Message.Where(IsControl), Is.Empty, $"control characters in the message: {Escaped(failed.Error.Message)}");
        });
    }

    // A tenant who can write its site folder points `current` at a name holding the same; the stale-rollback refusal
    // quotes where `current` points.
    [Test]
    public async Task Should_keep_them_out_of_a_rollback_refusal()
    {
        await using var world = AnsibleWorld.Create();
        var good = world.Site.AddRelease("r1");
        var broken = world.Site.AddRelease("r2", httpStatus: 500);
        File.CreateSymbolicLink(world.Site.CurrentPath, "/nowhere\n[01:02:03 INF] Rollback completed\u001b]0;pwned\u0007\u001b[2J");
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<ReleaseRollbackConsumer>());
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Rollback(world, broken, good));

        Assert.That(await harness.Published.Any<RollbackFailed>(), Is.True, "no RollbackFailed");
        var failed = (await harness.Published.SelectAsync<RollbackFailed>().First()).Context.Message;
        Assert.Multiple(() =>
        {
            Assert.That(failed.Error.Message, Does.Contain("Rollback completed").And.Contain("stale"), "the refusal still says what it saw");
            Assert.That(failed.Error.Message.Where(IsControl), Is.Empty, $"control characters in the message: {Escaped(failed.Error.Message)}");
        });
    }

    private static bool IsControl(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';

    private static string Escaped(string text) => string.Concat(text.Select(c => IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}

public sealed class When_a_tenant_plants_a_fifo_where_the_rollback_marker_goes
{
    // The release being left is the tenant's own code, so the tenant can put anything at `.pressluft-rolled-back`
    // beforehand. The module read an existing marker before replacing it: a FIFO there blocked the read for good (a
    // module left hanging on the node after every such rollback, the rollback reported failed at its timeout although
    // `current` was already switched). Only a small regular file is ever read.
    [Test]
    public async Task Should_replace_it_and_complete_the_rollback()
    {
        await using var world = AnsibleWorld.Create();
        var good = world.Site.AddRelease("r1");
        var broken = world.Site.AddRelease("r2", httpStatus: 500);
        world.Site.MakeCurrent(broken);
        var marker = Path.Combine(broken.Path, ".pressluft-rolled-back");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [marker]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.That(mkfifo.ExitCode, Is.Zero, "could not plant the FIFO");
        }

        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<ReleaseRollbackConsumer>(),
            new Dictionary<string, string?> { ["Pressluft:Ansible:RollbackPlaybookTimeout"] = "00:00:20" });
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Rollback(world, broken, good));

        var answers = harness.Published.SelectAsync(f => f.Includes.Add<RollbackCompleted>().Add<RollbackFailed>());
        var answer = (await answers.First()).MessageObject;
        // Read only when it is no longer the FIFO: reading that would hang this test as it hung the module.
        var isFifo = IsFifo(marker);
        Assert.Multiple(() =>
        {
            Assert.That(answer, Is.TypeOf<RollbackCompleted>(), $"the rollback was reported: {(answer as RollbackFailed)?.Error.Message}");
            Assert.That(world.Site.CurrentTarget, Is.EqualTo(good.Path));
            Assert.That(isFifo, Is.False, "the planted FIFO is still where the marker goes");
            if (!isFifo)
            {
                Assert.That(File.ReadAllText(marker), Does.Contain("HEALTH_CHECK_FAILED"), "the marker is not the rollback's");
            }
        });
    }

    private static bool IsFifo(string path)
    {
        using var test = System.Diagnostics.Process.Start("test", ["-p", path]);
        test.WaitForExit();
        return test.ExitCode == 0;
    }
}
