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
