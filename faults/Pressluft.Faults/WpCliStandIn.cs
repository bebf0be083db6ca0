namespace Pressluft.Faults;

/// <summary>
/// The WP-CLI stand-in the scenarios' playbooks call. It answers <c>core is-installed</c> and <c>db query</c>, and:
/// <list type="bullet">
/// <item>notices two playbooks on one environment at once: each run marks the site while it works (named by its
/// parent, the module run of one playbook, and its own pid) and appends a line to <c>&lt;sites root&gt;/.overlaps</c>
/// when a live run of another playbook marks the same site; a marker left by a killed run is recognised by its dead pid;</item>
/// <item>appends start and end lines with the site id to <c>&lt;sites root&gt;/.wp-log</c>;</item>
/// <item>slows down or hangs on demand: <c>&lt;release&gt;/.wp-hang</c> (seconds, every run),
/// <c>&lt;release&gt;/.wp-slow-first</c> (seconds, the first run of each command in that release only) and
/// <c>&lt;sites root&gt;/.wp-slow</c> (seconds, every run on every site: a loaded node).</item>
/// </list>
/// </summary>
internal static class WpCliStandIn
{
    private const string Script = """
        #!/bin/sh
        # WP-CLI stand-in of the fault-injection suite (see faults/Pressluft.Faults/WpCliStandIn.cs).
        release=""
        for arg in "$@"; do
          case "$arg" in --path=*) release="${arg#--path=}" ;; esac
        done
        site=$(dirname "$(dirname "$release")")
        root=$(dirname "$site")
        id=$(basename "$site")
        mine="$site/.wp-running.$PPID.$$"
        : > "$mine"
        echo "$(date +%s.%N) start $id $PPID $$ $1 $2" >> "$root/.wp-log"
        look() {
          for other in "$site"/.wp-running.*; do
            [ -e "$other" ] || continue
            rest=${other##*/.wp-running.}
            parent=${rest%%.*}
            pid=${rest#*.}
            [ "$parent" = "$PPID" ] && continue
            if kill -0 "$pid" 2>/dev/null; then
              echo "$(date +%s.%N) overlap $id run $PPID/$$ with run $parent/$pid" >> "$root/.overlaps"
            fi
          done
        }
        look
        if [ -e "$release/.wp-hang" ]; then sleep "$(cat "$release/.wp-hang")"; fi
        if [ -e "$release/.wp-slow-first" ] && [ ! -e "$release/.attempted-$1-$2" ]; then
          : > "$release/.attempted-$1-$2"
          sleep "$(cat "$release/.wp-slow-first")"
        fi
        if [ -e "$root/.wp-slow" ]; then sleep "$(cat "$root/.wp-slow")"; fi
        look
        rm -f "$mine"
        echo "$(date +%s.%N) end $id $PPID $$ $1 $2" >> "$root/.wp-log"
        case "$1 $2" in
          "core is-installed"|"db query") exit 0 ;;
          *) echo "stand-in wp: unsupported command: $*" >&2; exit 2 ;;
        esac

        """;

    public static string Write(string directory)
    {
        var path = Path.Combine(directory, "wp");
        File.WriteAllText(path, Script.Replace("\r\n", "\n", StringComparison.Ordinal));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        return path;
    }
}
