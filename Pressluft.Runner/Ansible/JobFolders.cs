using System.Globalization;
using System.Text.RegularExpressions;

namespace Pressluft.Runner.Ansible;

/// <summary>
/// Job folders live under one private root (0700), each named <c>&lt;runner pid&gt;-&lt;job id&gt;-&lt;random&gt;</c>. A runner
/// removes its folder when the playbook ends; one that was killed cannot, so at start a runner removes every folder
/// whose runner process is gone (never those of another live runner on the same machine). The root is by default in
/// the service user's own data folder, not in the shared temp folder where another user could plant it first; a root
/// that is a symbolic link is refused, and only names a runner made are ever removed.
/// </summary>
public static partial class JobFolders
{
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static string Root(AnsibleOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var root = string.IsNullOrWhiteSpace(settings.JobsDirectory)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "pressluft", "jobs")
            : Path.GetFullPath(settings.JobsDirectory);
        Directory.CreateDirectory(root, PrivateDirectory);
        if (new DirectoryInfo(root).LinkTarget is { } target)
        {
            throw new IOException($"The jobs folder {root} is a symbolic link (to {target}); refusing to use it.");
        }

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
        foreach (var folder in new DirectoryInfo(Root(settings)).EnumerateDirectories())
        {
            if (folder.LinkTarget is null && JobFolderName().Match(folder.Name) is { Success: true } name
                && int.TryParse(name.Groups["pid"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !IsRunning(pid))
            {
                folder.Delete(recursive: true);
                removed++;
            }
        }

        return removed;
    }

    private static bool IsRunning(int pid) => pid == Environment.ProcessId || Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}");

    [GeneratedRegex(@"^(?<pid>[0-9]{1,10})-[0-9a-f]{32}-[a-z0-9]{1,16}\z")]
    private static partial Regex JobFolderName();
}
