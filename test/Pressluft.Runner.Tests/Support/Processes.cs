using System.Text;

namespace Pressluft.Runner.Tests.Support;

/// <summary>What runs on this machine, from <c>/proc</c>: to prove a playbook left nothing behind.</summary>
internal static class Processes
{
    /// <summary>Waits (up to <paramref name="within"/>) until no process matches; false when one still does.</summary>
    public static async Task<bool> NoneLeftAsync(Func<int, bool> matches, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (Matching(matches).Count > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(100);
        }

        return true;
    }

    /// <summary>Waits (up to <paramref name="within"/>) until a process matches; false when none did.</summary>
    public static async Task<bool> AnyStartedAsync(Func<int, bool> matches, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (Matching(matches).Count == 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(100);
        }

        return true;
    }

    public static List<int> Matching(Func<int, bool> matches) =>
        Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Select(name => int.TryParse(name, out var pid) ? pid : 0)
            .Where(pid => pid > 0 && pid != Environment.ProcessId && matches(pid))
            .ToList();

    /// <summary>Whether the process's command line starts with these arguments.</summary>
    public static bool CommandLineStartsWith(int pid, params string[] arguments) =>
        Read(pid, "cmdline")?.StartsWith(string.Concat(arguments.Select(a => a + "\0")), StringComparison.Ordinal) == true;

    /// <summary>Whether the process was started with this environment variable (inherited by everything it started).</summary>
    public static bool HasEnvironment(int pid, string name, string value) => EnvironmentValue(pid, name) == value;

    /// <summary>The value of one of the process's environment variables, as it was started; null without it.</summary>
    public static string? EnvironmentValue(int pid, string name) =>
        Read(pid, "environ")?.Split('\0').FirstOrDefault(v => v.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];

    /// <summary>The command line of a process, for messages.</summary>
    public static string Describe(int pid) => Read(pid, "cmdline")?.Replace('\0', ' ').Trim() ?? $"process {pid}";

    private static string? Read(int pid, string file)
    {
        try
        {
            return Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{pid}/{file}"));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
