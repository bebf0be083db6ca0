using Microsoft.Extensions.DependencyInjection;
using Pressluft.Runner.Ansible;
using Pressluft.Runner.Tests.Support;

namespace Pressluft.Runner.Tests;

/// <summary>
/// The runner keeps the next run's ansible-playbook started and waiting, with Ansible imported (issue 10): each world
/// here has a jobs folder and a copy of the ansible folder of its own, so its preloaded processes are told apart from
/// every other test's and its ansible.cfg can change. The real ansible-playbook runs the real health check playbook.
/// </summary>
public sealed class When_playbooks_run_one_after_another
{
    [Test]
    public async Task Should_run_the_next_on_a_preloaded_ansible_playbook_with_its_own_job()
    {
        await using var world = await PreloadWorld.CreateAsync();
        var healthy = world.Ansible.Site.AddRelease("r1");
        var broken = world.Ansible.Site.AddRelease("r2", httpStatus: 500);
        await using var provider = await world.StartAsync();

        world.Ansible.Site.MakeCurrent(healthy);
        var first = await PlaybookRuns.HealthCheckRunAsync(provider, world.Ansible, PlaybookRuns.HealthCheckVariables(world.Ansible, healthy.Path));
        Assert.That(await world.WaitingPreloadedAsync(), Is.EqualTo(1), "no ansible-playbook was preloaded during the first run");
        world.Ansible.Site.MakeCurrent(broken);
        var second = await PlaybookRuns.HealthCheckRunAsync(provider, world.Ansible, PlaybookRuns.HealthCheckVariables(world.Ansible, broken.Path));
        world.Ansible.Site.MakeCurrent(healthy);
        var third = await PlaybookRuns.HealthCheckRunAsync(provider, world.Ansible, PlaybookRuns.HealthCheckVariables(world.Ansible, healthy.Path));

        Assert.Multiple(() =>
        {
            Assert.That(first.Preloaded, Is.False, "the first run cannot have been preloaded");
            Assert.That((second.Preloaded, third.Preloaded), Is.EqualTo((true, true)), "a later run started a new ansible-playbook");
            Assert.That(Verdict(first), Is.EqualTo((HostStatus.Ok, 0, "HTTP 200")));
            Assert.That(Verdict(second), Is.EqualTo((HostStatus.Failed, 2, "HTTP 500")), "the preloaded run did not check its own release");
            Assert.That(Verdict(third), Is.EqualTo((HostStatus.Ok, 0, "HTTP 200")));
        });
    }

    [Test]
    public async Task Should_start_each_anew_when_preloading_is_off()
    {
        await using var world = await PreloadWorld.CreateAsync();
        var release = world.Ansible.Site.AddRelease("r1");
        world.Ansible.Site.MakeCurrent(release);
        await using var provider = await world.StartAsync(preload: false);

        var first = await PlaybookRuns.HealthCheckRunAsync(provider, world.Ansible, PlaybookRuns.HealthCheckVariables(world.Ansible, release.Path));
        var second = await PlaybookRuns.HealthCheckRunAsync(provider, world.Ansible, PlaybookRuns.HealthCheckVariables(world.Ansible, release.Path));

        Assert.Multiple(() =>
        {
            Assert.That((first.Preloaded, second.Preloaded), Is.EqualTo((false, false)));
            Assert.That(Verdict(second), Is.EqualTo((HostStatus.Ok, 0, "HTTP 200")));
            Assert.That(world.PreloadedProcesses(), Is.Empty, "a process was preloaded although preloading is off");
        });
    }

    /// <summary>How the host ended, ansible-playbook's exit code and what the HTTP check saw.</summary>
    internal static (HostStatus Status, int? ExitCode, string? Http) Verdict(PlaybookOutcome outcome)
    {
        var host = outcome.Hosts.Single();
        return (host.Status, outcome.ExitCode, PlaybookRuns.Check(host, "http")?.GetProperty("detail").GetString());
    }
}

public sealed class When_a_preloaded_ansible_playbook_no_longer_fits
{
    [Test]
    public async Task Should_start_a_new_one_when_ansible_cfg_changed_and_stop_the_old()
    {
        await using var world = await PreloadWorld.CreateAsync();
        await using var provider = await world.StartWithOneRunAsync();
        var stale = world.PreloadedProcesses().Single();

        // An operator edits ansible.cfg: Ansible read the old one when the waiting process started.
        var config = Path.Combine(world.AnsibleDirectory, "ansible.cfg");
        File.AppendAllText(config, "\n# edited\n");
        File.SetLastWriteTimeUtc(config, DateTime.UtcNow.AddSeconds(5));
        var next = await PlaybookRuns.HealthCheckRunAsync(provider, world.Ansible, world.Checks());

        Assert.Multiple(async () =>
        {
            Assert.That(next.Preloaded, Is.False, "a run took an ansible-playbook started with the old ansible.cfg");
            Assert.That(When_playbooks_run_one_after_another.Verdict(next), Is.EqualTo((HostStatus.Ok, 0, "HTTP 200")));
            Assert.That(await Processes.NoneLeftAsync(pid => pid == stale, TimeSpan.FromSeconds(10)), Is.True, "the stale preloaded process was left running");
        });
    }

    [Test]
    public async Task Should_start_a_new_one_when_the_waiting_one_died()
    {
        await using var world = await PreloadWorld.CreateAsync();
        await using var provider = await world.StartWithOneRunAsync();

        foreach (var pid in world.PreloadedProcesses())
        {
            System.Diagnostics.Process.GetProcessById(pid).Kill();
        }

        Assert.That(await Processes.NoneLeftAsync(world.IsPreloaded, TimeSpan.FromSeconds(10)), Is.True);
        var next = await PlaybookRuns.HealthCheckRunAsync(provider, world.Ansible, world.Checks());

        Assert.Multiple(() =>
        {
            Assert.That(next.Preloaded, Is.False);
            Assert.That(When_playbooks_run_one_after_another.Verdict(next), Is.EqualTo((HostStatus.Ok, 0, "HTTP 200")));
        });
    }
}

public sealed class When_the_runner_stops_with_a_preloaded_ansible_playbook_waiting
{
    [Test]
    public async Task Should_stop_it_and_remove_its_folder()
    {
        await using var world = await PreloadWorld.CreateAsync();
        await using var provider = await world.StartWithOneRunAsync();

        await provider.GetRequiredService<AnsiblePlaybookRunner>().DisposeAsync();

        Assert.Multiple(() =>
        {
            Assert.That(world.PreloadedProcesses(), Is.Empty, "a preloaded ansible-playbook outlived the runner's stop");
            Assert.That(Directory.EnumerateFileSystemEntries(world.JobsDirectory), Is.Empty, "a job folder was left behind");
        });
    }
}

/// <summary>An <see cref="AnsibleWorld"/> with a jobs folder and a copy of the ansible folder of its own.</summary>
internal sealed class PreloadWorld : IAsyncDisposable
{
    private PreloadWorld(AnsibleWorld ansible)
    {
        Ansible = ansible;
        JobsDirectory = Directory.CreateDirectory(Path.Combine(ansible.Root, "jobs")).FullName;
        AnsibleDirectory = Path.Combine(ansible.Root, "ansible");
    }

    private string? _current;

    public AnsibleWorld Ansible { get; }

    public string JobsDirectory { get; }

    public string AnsibleDirectory { get; }

    public static Task<PreloadWorld> CreateAsync()
    {
        var world = new PreloadWorld(AnsibleWorld.Create());
        CopyDirectory(Path.Combine(AppContext.BaseDirectory, "ansible"), world.AnsibleDirectory);
        return Task.FromResult(world);
    }

    public Task<ServiceProvider> StartAsync(bool preload = true) => Ansible.StartHarnessAsync(_ => { }, new Dictionary<string, string?>
    {
        ["Pressluft:Ansible:JobsDirectory"] = JobsDirectory,
        ["Pressluft:Ansible:AnsibleDirectory"] = AnsibleDirectory,
        ["Pressluft:Ansible:PreloadAnsiblePlaybook"] = preload ? "true" : "false",
    });

    /// <summary>
    /// Starts the runner on a healthy current release and runs its health check once, so that the next run's
    /// ansible-playbook waits preloaded.
    /// </summary>
    public async Task<ServiceProvider> StartWithOneRunAsync()
    {
        var release = Ansible.Site.AddRelease("r1");
        Ansible.Site.MakeCurrent(release);
        _current = release.Path;
        var provider = await StartAsync();
        await PlaybookRuns.HealthCheckRunAsync(provider, Ansible, Checks());
        Assert.That(await WaitingPreloadedAsync(), Is.EqualTo(1), "nothing was preloaded");
        return provider;
    }

    /// <summary>The health check variables of the release <see cref="StartWithOneRunAsync"/> made current.</summary>
    public Dictionary<string, object?> Checks() => PlaybookRuns.HealthCheckVariables(Ansible, _current ?? throw new InvalidOperationException("no release yet"));

    /// <summary>
    /// The preloader's processes of this world (not their launchers): their Ansible temp folder is in this world's jobs
    /// folder.
    /// </summary>
    public bool IsPreloaded(int pid) =>
        Processes.Describe(pid) is var command && command.Contains("playbook-preload.py", StringComparison.Ordinal)
        && !command.Contains("playbook-launcher.py", StringComparison.Ordinal)
        && Processes.EnvironmentValue(pid, "ANSIBLE_LOCAL_TEMP")?.StartsWith(JobsDirectory + "/", StringComparison.Ordinal) == true;

    public List<int> PreloadedProcesses() => Processes.Matching(IsPreloaded);

    /// <summary>How many preloaded processes wait, once one has started (a run starts the next as it begins).</summary>
    public async Task<int> WaitingPreloadedAsync()
    {
        await Processes.AnyStartedAsync(IsPreloaded, TimeSpan.FromSeconds(10));
        return PreloadedProcesses().Count;
    }

    public async ValueTask DisposeAsync() => await Ansible.DisposeAsync();

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}

/// <summary>
/// <c>playbook-launcher.py --forward-first-line</c>: the first line the runner writes goes to the program, which says it
/// took it; a program that exits without having said so ran nothing, and the launcher's exit code tells the runner.
/// </summary>
public sealed class The_launcher_forwarding_a_preloaded_run
{
    private const string TakesTheLine = "read line; printf 1 >&\"$PRESSLUFT_PRELOAD_ACK_FD\"; echo \"took $line\"; exit 3";

    [TestCase(TakesTheLine, 3, "took [\"-i\",\"inventory.yml\"]", false, TestName = "a program that takes the line: its own exit code and output")]
    [TestCase("exit 0", 75, "", true, TestName = "a program that exits before it takes the line: 75 and the line saying so, whatever its own code")]
    [TestCase("read line; exit 0", 75, "", true, TestName = "a program that reads the line without saying so: 75 and the line saying so")]
    [TestCase("read line; printf 1 >&\"$PRESSLUFT_PRELOAD_ACK_FD\"; exit 75", 75, "", false,
        TestName = "a program that takes the line and exits 75 itself: 75 without the line")]
    public async Task Should_pass_the_line_on_and_tell_whether_it_was_taken(string program, int exitCode, string output, bool saidNotStarted)
    {
        var start = new System.Diagnostics.ProcessStartInfo(LauncherPython.For("ansible-playbook"),
            ["-I", "-S", Path.Combine(AppContext.BaseDirectory, "ansible", "playbook-launcher.py"), "--forward-first-line", "/bin/sh", "-c", program])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var launcher = System.Diagnostics.Process.Start(start)!;
        var read = launcher.StandardOutput.ReadToEndAsync();
        var errors = launcher.StandardError.ReadToEndAsync();
        // Let a program that exits at once do so before the line comes.
        await Task.Delay(200);
        try
        {
            await launcher.StandardInput.WriteLineAsync("[\"-i\",\"inventory.yml\"]");
            await launcher.StandardInput.FlushAsync();
        }
        catch (IOException)
        {
            // The launcher is gone already: its program exited without the line.
        }

        await launcher.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Multiple(async () =>
        {
            Assert.That(launcher.ExitCode, Is.EqualTo(exitCode));
            Assert.That((await read).Trim(), Is.EqualTo(output));
            // The line the runner looks for (PlaybookProcess.NotStartedLine), as the launcher must print it.
            Assert.That((await errors).Split('\n').Contains("playbook-launcher: the program exited before it took its arguments"), Is.EqualTo(saidNotStarted));
        });
    }
}
