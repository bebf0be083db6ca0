namespace Pressluft.Runner.Tests.Support;

/// <summary>
/// A stand-in for <c>ansible-playbook</c> (<c>Pressluft:Ansible:AnsiblePlaybookPath</c>) for what real Ansible will not
/// do on cue: it prints the given output, writes no result file and exits 0.
/// </summary>
internal static class StandInAnsiblePlaybook
{
    private const string Script = """
        #!/bin/sh
        # Stand-in for ansible-playbook in tests (see StandInAnsiblePlaybook.cs): says its lines, writes no result, exits 0.
        cat "$(dirname "$0")/ansible-playbook.says"
        exit 0

        """;

    /// <summary>Writes the script into <paramref name="directory"/> and returns its path.</summary>
    public static string Write(string directory, params string[] output)
    {
        File.WriteAllLines(Path.Combine(directory, "ansible-playbook.says"), output);
        var path = Path.Combine(directory, "ansible-playbook");
        File.WriteAllText(path, Script.Replace("\r\n", "\n", StringComparison.Ordinal));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
