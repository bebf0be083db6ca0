using System.Globalization;

namespace Pressluft.Runner.Ansible;

/// <summary>
/// Job folders live under one private root (0700), each named <c>&lt;runner pid&gt;-&lt;job id&gt;-&lt;random&gt;</c>. A runner
/// removes its folder when the playbook ends; one that was killed cannot, so at start a runner removes every folder
/// whose runner process is gone (never those of another live runner on the same machine).
/// </summary>
public static class JobFolders
{
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static string Root(AnsibleOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var root = string.IsNullOrWhiteSpace(settings.JobsDirectory)
            ? Path.Combine(Path.GetTempPath(), $"pressluft-jobs-{Environment.UserName}")
            : Path.GetFullPath(settings.JobsDirectory);
        Directory.CreateDirectory(root, PrivateDirectory);
        File.SetUnixFileMode(root, PrivateDirectory);
        return root;
    }

    /// <summary>A new, empty, private folder for one job.</summary>
    public static string Create(AnsibleOptions settings, Guid jobId)
    {
        var path = Path.Combine(Root(settings), $"{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{jobId:N}-{Path.GetRandomFileName().Replace(".", "", StringComparison.Ordinal)}");
        Directory.CreateDirectory(path, PrivateDirectory);
        return path;
    }

    /// <summary>Removes the folders of runners that no longer run; returns how many.</summary>
    public static int RemoveLeftovers(AnsibleOptions settings)
    {
        var removed = 0;
        foreach (var folder in Directory.EnumerateDirectories(Root(settings)))
        {
            var name = Path.GetFileName(folder);
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && int.TryParse(name.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !IsRunning(pid))
            {
                Directory.Delete(folder, recursive: true);
                removed++;
            }
        }

        return removed;
    }

    private static bool IsRunning(int pid) => pid == Environment.ProcessId || Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}");
}
