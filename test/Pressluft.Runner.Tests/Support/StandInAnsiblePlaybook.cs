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
        return WriteScript(directory, Script);
    }

    /// <summary>
    /// A stand-in that runs the shell <paramref name="command"/> instead (to print what only the shell knows, such as the
    /// environment it was given), then exits 0; written into <paramref name="directory"/>, its path returned.
    /// </summary>
    public static string Running(string directory, string command) => WriteScript(directory, $"#!/bin/sh\n{command}\nexit 0\n");

    private static string WriteScript(string directory, string script)
    {
        var path = Path.Combine(directory, "ansible-playbook");
        File.WriteAllText(path, script.Replace("\r\n", "\n", StringComparison.Ordinal));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
