using System.Runtime.InteropServices;

namespace Pressluft.Faults;

/// <summary>A release of a local site and whether it is good (answers 200) or broken (answers 500).</summary>
internal sealed record Release(Guid Id, string Path, bool Good);

/// <summary>
/// One site with one environment laid out as on a node under the scenario's sites root: <c>releases/&lt;name&gt;/</c>
/// and a <c>current</c> symlink, which a deployer switches before it publishes the mutation.
/// </summary>
internal sealed partial class Site(string sitesRoot, int number)
{
    public int Number { get; } = number;
    public Guid SiteId { get; } = Guid.NewGuid();
    public Guid EnvironmentId { get; } = Guid.NewGuid();
    /// <summary>The node the site lives on: the scenario's sites share one local node, as sites on a real node do.</summary>
    public Guid NodeId { get; init; } = Guid.NewGuid();
    public string SitePath => Path.Combine(sitesRoot, SiteId.ToString());
    public string CurrentPath => Path.Combine(SitePath, "current");

    /// <summary>Where the node is reached (ssh connection only); localhost for local sites.</summary>
    public string NodeHost { get; init; } = "localhost";
    public int NodePort { get; init; } = 22;

    /// <summary>The URL the HTTP check asks; by default this site on the scenario's local web server.</summary>
    public Uri? Url { get; set; }

    public Release AddRelease(string name, bool good)
    {
        var path = Path.Combine(SitePath, "releases", name);
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "index.html"), $"<h1>site {Number} release {name}</h1>");
        if (!good)
        {
            File.WriteAllText(Path.Combine(path, ".status"), "500");
        }

        return new Release(Guid.NewGuid(), path, good);
    }

    /// <summary>As a deployer does it: a new link renamed over <c>current</c>, so the switch is atomic.</summary>
    public void MakeCurrent(Release release)
    {
        var temporary = CurrentPath + ".deploying";
        File.Delete(temporary);
        File.CreateSymbolicLink(temporary, release.Path);
        if (Rename(temporary, CurrentPath) != 0)
        {
            throw new IOException($"could not move {temporary} over {CurrentPath}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public string? CurrentTarget => File.Exists(CurrentPath) || Directory.Exists(CurrentPath)
        ? File.ResolveLinkTarget(CurrentPath, returnFinalTarget: false)?.FullName
        : null;

    // rename(2) replaces the link in one step; File.Move refuses a link to a directory.
    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Rename(string oldPath, string newPath);
}
