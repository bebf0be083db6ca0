namespace Pressluft.Bench;

/// <summary>
/// A stand-in for <c>ansible-playbook</c> for the throughput figure: a real process, started through the runner's real
/// launcher like the real one, that answers every host of the inventory it is given at once with the line the
/// <c>pressluft.gate.json_lines</c> callback prints for a passing health_checks module run. What it leaves out is
/// Ansible's own start-up and the checks' network time, which the latency rows measure with the real playbooks.
/// </summary>
internal static class StubAnsiblePlaybook
{
    private const string Script = """
        #!/bin/sh
        # Stub ansible-playbook for the bench (see StubAnsiblePlaybook.cs): every host of the inventory passes every check.
        inventory=""
        while [ $# -gt 0 ]; do
          case "$1" in -i) inventory="$2"; shift 2 ;; *) shift ;; esac
        done
        for host in $(grep -o 'job_[0-9a-f]\{32\}' "$inventory" | sort -u); do
          printf '{"host":"%s","event":"result","task":"health checks","action":"pressluft.gate.health_checks","status":"ok","result":{"checks":[{"check":"http","outcome":"passed","detail":"HTTP 200","attempts":1,"durationMs":1},{"check":"wp_core_installed","outcome":"passed","attempts":1,"durationMs":1},{"check":"db_connectivity","outcome":"passed","attempts":1,"durationMs":1}]}}\n' "$host"
        done
        exit 0

        """;

    public static string Write(string directory)
    {
        var path = Path.Combine(directory, "ansible-playbook");
        File.WriteAllText(path, Script.Replace("\r\n", "\n", StringComparison.Ordinal));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
