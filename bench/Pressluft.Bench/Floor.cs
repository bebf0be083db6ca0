using System.Diagnostics;
using Pressluft.Runner.Demo;

namespace Pressluft.Bench;

/// <summary>
/// The Ansible floor the latency targets are relative to: ansible-playbook of a one-task play with one <c>uri</c>
/// check of a local site, with the gate's own ansible.cfg (pinned interpreter), timed from start to exit.
/// </summary>
internal static class Floor
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

    public static async Task<TimeSpan> MeasureAsync(string ansibleDirectory, string work)
    {
        var site = new LocalSite(Directory.CreateDirectory(Path.Combine(work, "floor")).FullName);
        var release = site.AddRelease("r1");
        site.MakeCurrent(release);
        await using var server = LocalSiteServer.Start(site.SitePath);
        var play = Path.Combine(work, "floor.yml");
        await File.WriteAllTextAsync(play, Play);
        var runs = new List<TimeSpan>();
        for (var i = 0; i < 3; i++)
        {
            var start = new ProcessStartInfo("ansible-playbook", ["-i", "localhost,", "-e", $"floor_url={server.Url}", play])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = work,
            };
            start.Environment["ANSIBLE_CONFIG"] = Path.Combine(ansibleDirectory, "ansible.cfg");
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

            runs.Add(clock.Elapsed);
        }

        return runs.Order().ElementAt(1);
    }
}
