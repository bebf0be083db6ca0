using System.Collections.Concurrent;
using System.Globalization;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pressluft.Contracts;
using Pressluft.Runner.Ansible;
using Pressluft.Runner.Consumers;
using Pressluft.Runner.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Runner.Tests;

// A fleet-wide update checks many environments of one node at once (issue 10): they may share one ansible-playbook run,
// while each keeps its own verdict, timeout and answer, and a hung site holds no other's verdict.

public sealed class When_five_environments_of_one_node_share_a_run
{
    [Test]
    public async Task Should_report_each_as_it_finishes_and_time_out_only_the_hung_one()
    {
        await using var world = AnsibleWorld.Create();
        var releases = Enumerable.Range(1, 5).Select(i => world.Site.AddRelease($"e{i}")).ToList();
        world.Site.MakeCurrent(releases[0]);
        var seconds = Random.Shared.Next(700, 900);
        File.WriteAllText(Path.Combine(releases[4].Path, ".wp-hang"), seconds.ToString(CultureInfo.InvariantCulture));
        await using var provider = await world.StartHarnessAsync(_ => { });
        var hosts = releases.Select(r =>
        {
            var variables = PlaybookRuns.HealthCheckVariables(world, r.Path);
            return new PlaybookHost
            {
                JobId = Guid.NewGuid(),
                Node = world.Site.Node,
                Variables = variables.Where(v => !HealthCheckVariables.SharedNames.Contains(v.Key)).ToDictionary(v => v.Key, v => v.Value),
            };
        }).ToList();
        var shared = new Dictionary<string, object?>(HealthCheckVariables.Shared(new AnsibleOptions { WpCliPath = world.WpCliPath, CheckTimeoutSeconds = 300 }));
        var reported = new ConcurrentQueue<HostOutcome>();

        var run = await provider.GetRequiredService<AnsiblePlaybookRunner>().RunAsync(new PlaybookRun
        {
            Playbook = "health-check.yml",
            Hosts = hosts,
            SharedVariables = shared,
            // Long enough for four healthy sites on a busy machine; the hung one (sleeping 700+ s) still times out.
            Timeout = TimeSpan.FromSeconds(25),
            FinalAction = HealthCheckVariables.ChecksModule,
        }, reported.Enqueue, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(90));

        var order = reported.ToList();
        var hung = hosts[4].JobId;
        Assert.Multiple(async () =>
        {
            Assert.That(order.Select(o => o.JobId), Is.EquivalentTo(hosts.Select(h => h.JobId)), "each environment is reported exactly once");
            Assert.That(order.Last().JobId, Is.EqualTo(hung), "the hung environment held another's outcome");
            foreach (var healthy in order.Where(o => o.JobId != hung))
            {
                Assert.That(healthy.Streamed, Is.True, "a healthy environment waited for the run to end");
                Assert.That(healthy.Status, Is.EqualTo(HostStatus.Ok));
                Assert.That(healthy.ResultOf(HealthCheckVariables.ChecksModule)?.Result.GetProperty("checks").GetArrayLength(), Is.EqualTo(3));
            }

            var timedOut = order.Single(o => o.JobId == hung);
            Assert.That(timedOut.TimedOut, Is.True);
            Assert.That(timedOut.ErrorCode, Is.EqualTo(ErrorCodes.AnsibleTimeout));
            Assert.That(run.Hosts.Select(h => h.JobId), Is.EqualTo(hosts.Select(h => h.JobId)));
            Assert.That(await Processes.NoneLeftAsync(pid => Processes.CommandLineStartsWith(pid, "sleep", seconds.ToString(CultureInfo.InvariantCulture)),
                TimeSpan.FromSeconds(10)), Is.True, "the hung command outlived the run");
        });
    }
}

public sealed class When_checks_of_one_node_arrive_together
{
    [Test]
    public async Task Should_run_them_in_one_playbook_run_and_answer_each()
    {
        await using var world = AnsibleWorld.Create();
        var releases = Enumerable.Range(1, 3).Select(i => world.Site.AddRelease($"e{i}")).ToList();
        world.Site.MakeCurrent(releases[0]);
        var logs = new CapturedLogs();
        await using var provider = await world.StartHarnessAsync(_ => { }, new Dictionary<string, string?>
        {
            ["Pressluft:Ansible:MaxEnvironmentsPerRun"] = "3",
        }, services => services.AddLogging(b => b.AddProvider(logs)));
        // A clock whose batch window never ends: the group starts when it is full, whatever the machine's load.
        var batcher = new HealthCheckBatcher(provider.GetRequiredService<AnsiblePlaybookRunner>(), provider.GetRequiredService<IOptionsMonitor<AnsibleOptions>>(),
            new StoppedClock(), provider.GetRequiredService<ILogger<HealthCheckBatcher>>());
        var requests = releases.Select(r => Requests.Check(world, r)).ToList();

        var outcomes = await Task.WhenAll(requests.Select(r => batcher.CheckAsync(
            new PlaybookHost { JobId = r.JobId, Node = r.Node, Variables = HealthCheckVariables.Host(r) }, CancellationToken.None))).WaitAsync(TimeSpan.FromSeconds(90));

        Assert.Multiple(() =>
        {
            Assert.That(outcomes.Select(o => o.JobId), Is.EqualTo(requests.Select(r => r.JobId)), "an answer reached the wrong request");
            Assert.That(outcomes.Select(o => o.Status), Has.All.EqualTo(HostStatus.Ok));
            Assert.That(logs.At(LogLevel.Information), Has.One.Contains("Checking 3 environments of node localhost in one run"));
            Assert.That(Runs.Started(logs), Is.EqualTo(1), "the three checks did not share one ansible-playbook run");
        });
    }

    // Only a hand-made message can carry a job id already in the group; it must not leave the first check waiting.
    [Test]
    public async Task Should_refuse_a_second_request_of_the_same_job_and_still_answer_the_first()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("e1");
        world.Site.MakeCurrent(release);
        await using var provider = await world.StartHarnessAsync(_ => { }, new Dictionary<string, string?> { ["Pressluft:Ansible:MaxEnvironmentsPerRun"] = "2" });
        var batcher = new HealthCheckBatcher(provider.GetRequiredService<AnsiblePlaybookRunner>(), provider.GetRequiredService<IOptionsMonitor<AnsibleOptions>>(),
            new StoppedClock(), provider.GetRequiredService<ILogger<HealthCheckBatcher>>());
        var request = Requests.Check(world, release);
        PlaybookHost Host() => new() { JobId = request.JobId, Node = request.Node, Variables = HealthCheckVariables.Host(request) };
        var other = Requests.Check(world, release);

        var first = batcher.CheckAsync(Host(), CancellationToken.None);
        Assert.That(() => batcher.CheckAsync(Host(), CancellationToken.None), Throws.InvalidOperationException.With.Message.Contains("already being checked"));
        // A second, different job fills the group, which then runs.
        var second = batcher.CheckAsync(new PlaybookHost { JobId = other.JobId, Node = other.Node, Variables = HealthCheckVariables.Host(other) }, CancellationToken.None);

        var outcomes = await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.That(outcomes.Select(o => (o.JobId, o.Status)), Is.EqualTo(new[] { (request.JobId, HostStatus.Ok), (other.JobId, HostStatus.Ok) }));
    }

    private sealed class StoppedClock : TimeProvider
    {
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new Stopped();

        private sealed class Stopped : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}

// A batch window of zero runs every check on its own (AnsibleOptions.CheckBatchWindow): the group must not start before its
// one check is in it, or that check waits for ever while its caller holds the environment's lock.
public sealed class When_the_batch_window_is_zero
{
    [Test]
    public async Task Should_run_each_check_on_its_own_and_answer_it()
    {
        await using var world = AnsibleWorld.Create();
        var releases = Enumerable.Range(1, 2).Select(i => world.Site.AddRelease($"e{i}")).ToList();
        world.Site.MakeCurrent(releases[0]);
        var logs = new CapturedLogs();
        await using var provider = await world.StartHarnessAsync(_ => { }, new Dictionary<string, string?> { ["Pressluft:Ansible:CheckBatchWindow"] = "00:00:00" },
            services => services.AddLogging(b => b.AddProvider(logs)));
        var batcher = provider.GetRequiredService<HealthCheckBatcher>();
        var requests = releases.Select(r => Requests.Check(world, r)).ToList();

        var outcomes = await Task.WhenAll(requests.Select(r => batcher.CheckAsync(
            new PlaybookHost { JobId = r.JobId, Node = r.Node, Variables = HealthCheckVariables.Host(r) }, CancellationToken.None))).WaitAsync(TimeSpan.FromSeconds(90));

        Assert.Multiple(() =>
        {
            Assert.That(outcomes.Select(o => (o.JobId, o.Status)), Is.EqualTo(requests.Select(r => (r.JobId, HostStatus.Ok))));
            Assert.That(logs.At(LogLevel.Error), Is.Empty, "a run failed to start");
            Assert.That(Runs.Started(logs), Is.EqualTo(2), "the checks did not run one each");
        });
    }
}

// A backlog of checks of one node: while its runs start up, the next checks gather into one run instead of each paying
// ansible-playbook's start-up; a run that hangs on a slow site stops holding the next one back after BusyRunHold.
public sealed class When_checks_of_a_node_arrive_while_its_run_starts
{
    [Test]
    public async Task Should_gather_them_into_the_next_run()
    {
        await using var world = AnsibleWorld.Create();
        var releases = Enumerable.Range(1, 4).Select(i => world.Site.AddRelease($"e{i}")).ToList();
        world.Site.MakeCurrent(releases[0]);
        var logs = new CapturedLogs();
        await using var provider = await world.StartHarnessAsync(_ => { }, new Dictionary<string, string?> { ["Pressluft:Ansible:MaxRunsPerNode"] = "1" },
            services => services.AddLogging(b => b.AddProvider(logs)));
        var batcher = provider.GetRequiredService<HealthCheckBatcher>();
        var requests = releases.Select(r => Requests.Check(world, r)).ToList();
        Task<HostOutcome> Check(HealthCheckRequested r) =>
            batcher.CheckAsync(new PlaybookHost { JobId = r.JobId, Node = r.Node, Variables = HealthCheckVariables.Host(r) }, CancellationToken.None);

        var first = Check(requests[0]);
        await Runs.StartedAsync(logs, 1);
        // ansible-playbook takes a second at least to start: these arrive while the first run is busy, each well after the
        // batch window of the one before, so only waiting for the busy node puts them in one run.
        var rest = new List<Task<HostOutcome>>();
        foreach (var request in requests.Skip(1))
        {
            rest.Add(Check(request));
            await Task.Delay(100);
        }

        var outcomes = await Task.WhenAll(rest.Prepend(first)).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Multiple(() =>
        {
            Assert.That(outcomes.Select(o => (o.JobId, o.Status)), Is.EqualTo(requests.Select(r => (r.JobId, HostStatus.Ok))));
            Assert.That(Runs.Started(logs), Is.EqualTo(2), "the three later checks did not share one run");
            Assert.That(logs.At(LogLevel.Information), Has.One.Contains("Checking 3 environments of node localhost in one run"));
        });
    }

    [Test]
    public async Task Should_not_hold_the_next_run_back_for_a_hung_site_longer_than_the_hold()
    {
        await using var world = AnsibleWorld.Create();
        var hung = world.Site.AddRelease("hung");
        var healthy = world.Site.AddRelease("healthy");
        world.Site.MakeCurrent(healthy);
        var seconds = Random.Shared.Next(600, 700);
        File.WriteAllText(Path.Combine(hung.Path, ".wp-hang"), seconds.ToString(CultureInfo.InvariantCulture));
        var logs = new CapturedLogs();
        await using var provider = await world.StartHarnessAsync(_ => { }, new Dictionary<string, string?>
        {
            ["Pressluft:Ansible:MaxRunsPerNode"] = "1",
            ["Pressluft:Ansible:CheckTimeoutSeconds"] = "300",
        }, services => services.AddLogging(b => b.AddProvider(logs)));
        var batcher = provider.GetRequiredService<HealthCheckBatcher>();
        var (stuck, later) = (Requests.Check(world, hung), Requests.Check(world, healthy));
        using var stop = new CancellationTokenSource();

        var hanging = batcher.CheckAsync(new PlaybookHost { JobId = stuck.JobId, Node = stuck.Node, Variables = HealthCheckVariables.Host(stuck) }, stop.Token);
        await Runs.StartedAsync(logs, 1);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outcome = await batcher.CheckAsync(new PlaybookHost { JobId = later.JobId, Node = later.Node, Variables = HealthCheckVariables.Host(later) },
            CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(90));
        var waited = clock.Elapsed;
        var stillHanging = !hanging.IsCompleted;
        await stop.CancelAsync();
        var stopped = await hanging.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Multiple(async () =>
        {
            Assert.That(outcome.Status, Is.EqualTo(HostStatus.Ok));
            Assert.That(stillHanging, Is.True, "the hung site's run ended before the later check was answered: nothing was shown");
            Assert.That(waited, Is.GreaterThanOrEqualTo(HealthCheckBatcher.BusyRunHold), "the later check did not wait for the busy node");
            Assert.That(Runs.Started(logs), Is.EqualTo(2));
            Assert.That(stopped.ExitCode, Is.Null, "the hung run was not stopped");
            Assert.That(await Processes.NoneLeftAsync(pid => Processes.CommandLineStartsWith(pid, "sleep", seconds.ToString(CultureInfo.InvariantCulture)),
                TimeSpan.FromSeconds(10)), Is.True, "the hung command outlived the run");
        });
    }
}

public sealed class When_a_fleet_update_checks_many_environments_of_one_node
{
    [Test]
    public async Task Should_answer_each_request_on_its_own_without_waiting_for_a_hung_site()
    {
        await using var world = AnsibleWorld.Create();
        var releases = Enumerable.Range(1, 5).Select(i => world.Site.AddRelease($"e{i}")).ToList();
        world.Site.MakeCurrent(releases[0]);
        File.WriteAllText(Path.Combine(releases[4].Path, ".wp-hang"), "600");
        await using var provider = await world.StartHarnessAsync(
            x => x.AddConsumer<HealthCheckConsumer>().Endpoint(e => e.ConcurrentMessageLimit = 8),
            // Two runs of the node may start at once, so however the five arrive (one group, or two when the batch window
            // closes between them), no healthy site waits for a run holding the hung one: the answers' order is the spec's
            // alone. With one run at a time, a later group waits for the hold instead (When_checks_of_a_node_arrive_while_its_run_starts).
            new Dictionary<string, string?>
            {
                ["Pressluft:Ansible:CheckTimeoutSeconds"] = "6",
                ["Pressluft:Ansible:CheckRetries"] = "0",
                ["Pressluft:Ansible:MaxRunsPerNode"] = "2",
            });
        var harness = provider.GetRequiredService<ITestHarness>();
        // Each environment of the node is its own environment: one request each.
        var requests = releases.Select(r => Requests.Check(world, r) with { EnvironmentId = Guid.NewGuid() }).ToList();

        await Task.WhenAll(requests.Select(r => harness.Bus.Publish(r)));

        var hung = requests[4];
        Assert.That(await harness.Published.Any<HealthCheckFailed>(x => x.Context.Message.JobId == hung.JobId), Is.True, "the hung site got no answer");
        var answers = harness.Published.Select(x => x.MessageObject is HealthCheckPassed or HealthCheckFailed).Select(x => x.MessageObject).ToList();
        var failed = answers.OfType<HealthCheckFailed>().Single();
        Assert.Multiple(() =>
        {
            Assert.That(answers.OfType<HealthCheckPassed>().Select(p => (p.JobId, p.Attempt, p.EnvironmentId)),
                Is.EquivalentTo(requests.Take(4).Select(r => (r.JobId, r.Attempt, r.EnvironmentId))), "each healthy environment gets its own answer");
            Assert.That(answers.Last(), Is.SameAs(failed), "a healthy environment's answer waited for the hung site");
            Assert.That((failed.JobId, failed.EnvironmentId), Is.EqualTo((hung.JobId, hung.EnvironmentId)));
            Assert.That(failed.Verdict, Is.EqualTo(HealthVerdicts.Inconclusive));
            Assert.That(harness.Published.Select<JobStarted>().Select(s => s.Context.Message.JobId), Is.EquivalentTo(requests.Select(r => r.JobId)),
                "JobStarted once per request");
        });
    }
}

// The health-check runs a spec's runner started, as its log says.
internal static class Runs
{
    public static int Started(CapturedLogs logs) => logs.At(LogLevel.Information).Count(m => m.Contains("running health-check.yml", StringComparison.Ordinal));

    public static async Task StartedAsync(CapturedLogs logs, int count)
    {
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Started(logs) < count)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(limit), "the run did not start");
            await Task.Delay(20);
        }
    }
}
