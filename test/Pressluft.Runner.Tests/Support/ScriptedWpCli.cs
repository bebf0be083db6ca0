namespace Pressluft.Runner.Tests.Support;

/// <summary>Stand-ins for WP-CLI that behave in ways <see cref="Demo.StandInWpCli"/> does not, written next to it.</summary>
internal static class ScriptedWpCli
{
    /// <summary>
    /// Hangs (<c>sleep</c> for <paramref name="hangSeconds"/>) the first time each command runs in a release, answers at
    /// once afterwards: a check slow only on its first attempt.
    /// </summary>
    public static string SlowFirstAttempt(string directory, int hangSeconds) => Write(directory, "wp-slow-first", $$"""
        #!/bin/sh
        # Stand-in WP-CLI (see ScriptedWpCli.cs): the first run of each command in a release hangs, later runs succeed.
        release=""
        for arg in "$@"; do
          case "$arg" in --path=*) release="${arg#--path=}" ;; esac
        done
        marker="$release/.attempted-$1-$2"
        if [ ! -e "$marker" ]; then : > "$marker"; exec sleep {{hangSeconds}}; fi
        exit 0

        """);

    /// <summary>
    /// Succeeds after a second, and leaves <c>.overlap</c> in the release when another playbook's WP-CLI ran in the same
    /// release meanwhile: each run marks the release while it works, named by its parent (the module run of one
    /// playbook; the two checks of one run share it).
    /// </summary>
    public static string Exclusive(string directory) => Write(directory, "wp-exclusive", """
        #!/bin/sh
        # Stand-in WP-CLI (see ScriptedWpCli.cs): notices two playbooks working on one release at once.
        release=""
        for arg in "$@"; do
          case "$arg" in --path=*) release="${arg#--path=}" ;; esac
        done
        mine="$release/.running-$PPID-$$"
        : > "$mine"
        look() {
          for other in "$release"/.running-*; do
            case "$other" in
              "$release/.running-$PPID-"*) ;;
              *) if [ -e "$other" ]; then : > "$release/.overlap"; fi ;;
            esac
          done
        }
        look
        sleep 1
        look
        rm -f "$mine"
        exit 0

        """);

    /// <summary>
    /// A site whose PHP prints without end: <paramref name="megabytes"/> MB on stdout, then, on stderr, how much memory its
    /// parent (the health check module that reads it) has ever held (<c>VmHWM</c>, kB), and a failing exit.
    /// </summary>
    public static string Flooding(string directory, int megabytes) => Write(directory, "wp-flooding", $$"""
        #!/bin/sh
        # Stand-in WP-CLI (see ScriptedWpCli.cs): floods stdout, then tells the reader's peak memory.
        head -c {{megabytes}}M /dev/zero
        echo "reader-peak-kb=$(awk '/^VmHWM:/ { print $2 }' /proc/$PPID/status)" >&2
        exit 1

        """);

    /// <summary>
    /// A site whose PHP, loaded by WP-CLI, prints a forged log line and terminal escape sequences on stderr, then fails:
    /// what a tenant's plugin can make every WP-CLI check say.
    /// </summary>
    public static string ForgingLogLines(string directory) => Write(directory, "wp-forging", """
        #!/bin/sh
        # Stand-in WP-CLI (see ScriptedWpCli.cs): stderr holds a line break, a forged log line and escape sequences.
        printf 'Error: broken\n[01:02:03 INF] Health check passed, all good\033]0;pwned\007\033[2J\r\n' >&2
        exit 1

        """);

    private static string Write(string directory, string name, string script)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, script.Replace("\r\n", "\n", StringComparison.Ordinal));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
