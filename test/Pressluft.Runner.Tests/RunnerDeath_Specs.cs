using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pressluft.Runner.Ansible;
using Pressluft.Runner.Consumers;
using Pressluft.Runner.Tests.Support;

namespace Pressluft.Runner.Tests;

/// <summary>
/// A playbook dies with its runner (issue 9): after kill -9 of the runner, nothing it started may keep acting on the
/// environment. The runner here is a real <c>pressluft run</c> child process on RabbitMQ and PostgreSQL, killed alone
/// (SIGKILL to its process only, not its tree) while a health check hangs in WP-CLI.
/// </summary>
public sealed class When_a_runner_is_killed_while_its_playbook_runs
{
    private const string Mark = "PRESSLUFT_TEST_RUNNER_MARK";

    [Test]
    public async Task Should_leave_no_process_of_that_playbook_running()
    {
        await using var world = await ServiceWorld.CreateAsync();
        var site = world.Ansible.Site;
        var good = site.AddRelease("r1");
        var hanging = site.AddRelease("r2");
        var seconds = Random.Shared.Next(700, 900).ToString(CultureInfo.InvariantCulture);
        File.WriteAllText(Path.Combine(hanging.Path, ".wp-hang"), seconds);
        site.MakeCurrent(hanging);
        // Everything the runner starts inherits this variable: ansible-playbook, its workers, the module, WP-CLI, sleep.
        var mark = Guid.NewGuid().ToString("N");
        bool Marked(int pid) => Processes.HasEnvironment(pid, Mark, mark);

        // Long per-attempt limits, so nothing ends by itself while the test looks.
        var runner = world.StartChildProcess(new Dictionary<string, string?> { [Mark] = mark, ["Pressluft:Ansible:CheckTimeoutSeconds"] = "300" });
        try
        {
            await WaitUntilAsync(() => world.HasBindingsAsync("pressluft.mutation-completed"), "the runner to bind its intake");
            await world.PublishPlainJsonAsync("pressluft.mutation-completed", ServiceWorld.MutationJson(world.Ansible, Guid.NewGuid(), site, hanging, good));
            Assert.That(await Processes.AnyStartedAsync(pid => Marked(pid) && Processes.CommandLineStartsWith(pid, "sleep", seconds), TimeSpan.FromMinutes(2)),
                Is.True, "the health check never reached WP-CLI");
            var running = Processes.Matching(Marked).Where(pid => pid != runner.Id).Select(Processes.Describe).ToList();

            runner.Kill(entireProcessTree: false);
            await runner.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));

            var left = await Processes.NoneLeftAsync(Marked, TimeSpan.FromSeconds(30));
            Assert.Multiple(() =>
            {
                Assert.That(running, Has.Some.Contains("ansible-playbook"), "no playbook ran when the runner was killed");
                // The next run's ansible-playbook, started ahead and waiting for its arguments, dies with the runner too.
                Assert.That(running, Has.Some.Contains("playbook-preload.py"), "no preloaded ansible-playbook waited when the runner was killed");
                Assert.That(left, Is.True,
                    $"processes of the killed runner's playbook live on: {string.Join("; ", Processes.Matching(Marked).Select(Processes.Describe))}");
            });
        }
        finally
        {
            if (!runner.HasExited)
            {
                runner.Kill(entireProcessTree: true);
            }

            foreach (var pid in Processes.Matching(Marked))
            {
                try
                {
                    System.Diagnostics.Process.GetProcessById(pid).Kill();
                }
                catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
                {
                    // Gone meanwhile.
                }
            }
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}");
            }

            await Task.Delay(100);
        }
    }
}

// A run outlives its callers (each host is answered as soon as it is done, while the playbook still finishes): a runner
// that stops must stop such runs and wait for them, not exit leaving them behind.
public sealed class When_the_runner_stops_while_a_playbook_still_runs
{
    [Test]
    public async Task Should_stop_it_and_leave_no_process_behind()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("hung");
        world.Site.MakeCurrent(release);
        var seconds = Random.Shared.Next(700, 800).ToString(CultureInfo.InvariantCulture);
        File.WriteAllText(Path.Combine(release.Path, ".wp-hang"), seconds);
        await using var provider = await world.StartHarnessAsync(_ => { }, new Dictionary<string, string?> { ["Pressluft:Ansible:CheckTimeoutSeconds"] = "300" });
        var runner = provider.GetRequiredService<AnsiblePlaybookRunner>();
        var request = Requests.Check(world, release);
        var run = runner.RunAsync(new PlaybookRun
        {
            Playbook = "health-check.yml",
            Hosts = [new PlaybookHost { JobId = request.JobId, Node = request.Node, Variables = HealthCheckVariables.Host(request) }],
            SharedVariables = HealthCheckVariables.Shared(provider.GetRequiredService<IOptions<AnsibleOptions>>().Value),
            Timeout = TimeSpan.FromMinutes(10),
            FinalAction = HealthCheckVariables.ChecksModule,
        }, null, CancellationToken.None);
        Assert.That(await Processes.AnyStartedAsync(pid => Processes.CommandLineStartsWith(pid, "sleep", seconds), TimeSpan.FromMinutes(2)), Is.True,
            "the hung command never started");

        await runner.DisposeAsync();
        var left = await Processes.NoneLeftAsync(pid => Processes.CommandLineStartsWith(pid, "sleep", seconds), TimeSpan.Zero);
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Multiple(() =>
        {
            Assert.That(left, Is.True, "the playbook's command outlived the runner's stop");
            Assert.That(outcome.Hosts.Single().ExitCode, Is.Null, "the run was not stopped");
            Assert.That(outcome.Hosts.Single().TimedOut, Is.False, "a stop was reported as a timeout");
        });
    }
}
