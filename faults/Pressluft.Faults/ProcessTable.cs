using System.Text;

namespace Pressluft.Faults;

/// <summary>What runs on this machine, from <c>/proc</c>.</summary>
internal static class ProcessTable
{
    public static List<(int Pid, string CommandLine)> Marked(string variable, string value)
    {
        var expected = $"{variable}={value}";
        var found = new List<(int, string)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            var environment = Read(pid, "environ");
            if (environment is not null && environment.Split('\0').Contains(expected, StringComparer.Ordinal))
            {
                found.Add((pid, Read(pid, "cmdline")?.Replace('\0', ' ').Trim() ?? $"process {pid}"));
            }
        }

        return found;
    }

    public static void TryKill(int pid)
    {
        try
        {
            System.Diagnostics.Process.GetProcessById(pid).Kill();
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone meanwhile.
        }
    }

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
