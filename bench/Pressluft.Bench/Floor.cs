using System.Diagnostics;
using Pressluft.Runner.Demo;

namespace Pressluft.Bench;

/// <summary>
/// The Ansible floor the latency targets are relative to: ansible-playbook of a one-task play with one <c>uri</c>
/// check of a local site, with the gate's own ansible.cfg (pinned interpreter), timed from start to exit. Measured at
/// the start, and again beside each real-playbook gate, so the targets follow the machine's speed during those gates.
/// </summary>
internal sealed class Floor : IAsyncDisposable
{
    private const string Play = """
        - name: Floor
          hosts: localhost
          connection: local
          gather_facts: false
          tasks:
            - name: One uri check
              ansible.builtin.uri:
                url: "{{ floor_url }}"

        """;

    private readonly string _ansibleDirectory;
    private readonly string _work;
    private readonly string _play;
    private readonly LocalSiteServer _server;
    private readonly List<TimeSpan> _runs = [];

    private Floor(string ansibleDirectory, string work, string play, LocalSiteServer server)
    {
        _ansibleDirectory = ansibleDirectory;
        _work = work;
        _play = play;
        _server = server;
    }

    /// <summary>The median of every run so far.</summary>
    public TimeSpan Median => _runs.Order().ElementAt(_runs.Count / 2);

    public int Runs => _runs.Count;

    public static async Task<Floor> StartAsync(string ansibleDirectory, string work)
    {
        var site = new LocalSite(Directory.CreateDirectory(Path.Combine(work, "floor")).FullName);
        var release = site.AddRelease("r1");
        site.MakeCurrent(release);
        var play = Path.Combine(work, "floor.yml");
        await File.WriteAllTextAsync(play, Play);
        return new Floor(ansibleDirectory, work, play, LocalSiteServer.Start(site.SitePath));
    }

    /// <summary>Runs the play once and keeps its time.</summary>
    public async Task<TimeSpan> RunAsync()
    {
        var start = new ProcessStartInfo("ansible-playbook", ["-i", "localhost,", "-e", $"floor_url={_server.Url}", _play])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _work,
        };
        start.Environment["ANSIBLE_CONFIG"] = Path.Combine(_ansibleDirectory, "ansible.cfg");
        // As the runner starts ansible-playbook (AnsiblePlaybookRunner): inherited, it would slow the floor's module run.
        start.Environment.Remove("PYTHONUNBUFFERED");
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        clock.Stop();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"the floor play failed ({process.ExitCode}): {await stdout}{await stderr}");
        }

        _runs.Add(clock.Elapsed);
        return clock.Elapsed;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
