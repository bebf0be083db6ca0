namespace Pressluft.Runner.Demo;

/// <summary>
/// A small stand-in for WP-CLI where WordPress is absent: <c>core is-installed</c> and <c>db query</c> succeed unless
/// the release named by <c>--path</c> holds <c>.wp-broken</c> (not installed) or <c>.db-broken</c> (no database);
/// <c>.wp-hang</c> makes it hang for the seconds the file names (timeouts), <c>.wp-slow</c> delays it (crash tests),
/// and <c>.wp-says</c> is printed on standard output and standard error by every command (what a site's plugin may
/// print, to test that node output stays data).
/// </summary>
public static class StandInWpCli
{
    private const string Script = """
        #!/bin/sh
        # Stand-in for WP-CLI in tests and the demo (see StandInWpCli.cs).
        release=""
        for arg in "$@"; do
          case "$arg" in --path=*) release="${arg#--path=}" ;; esac
        done
        if [ -e "$release/.wp-hang" ]; then exec sleep "$(cat "$release/.wp-hang")"; fi
        if [ -e "$release/.wp-slow" ]; then sleep "$(cat "$release/.wp-slow")"; fi
        if [ -e "$release/.wp-says" ]; then cat "$release/.wp-says"; cat "$release/.wp-says" >&2; fi
        case "$1 $2" in
          "core is-installed")
            if [ -e "$release/.wp-broken" ]; then echo "Error: WordPress is not installed here." >&2; exit 1; fi ;;
          "db query")
            if [ -e "$release/.db-broken" ]; then echo "Error establishing a database connection." >&2; exit 1; fi ;;
          *) echo "stand-in wp: unsupported command: $*" >&2; exit 2 ;;
        esac
        exit 0

        """;

    /// <summary>Writes the script as <c>wp</c> into <paramref name="directory"/> and returns its path.</summary>
    public static string Write(string directory)
    {
        var path = Path.Combine(directory, "wp");
        File.WriteAllText(path, Script.Replace("\r\n", "\n", StringComparison.Ordinal));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        return path;
    }
}
