using System.Runtime.InteropServices;
using Pressluft.Contracts;

namespace Pressluft.Runner.Demo;

/// <summary>
/// A site laid out as on a node, under a local sites root: <c>&lt;root&gt;/&lt;site id&gt;/releases/&lt;name&gt;/</c> and a
/// <c>current</c> symlink. Used by the demo and the integration tests.
/// </summary>
public sealed partial class LocalSite(string sitesRoot)
{
    public string SitesRoot { get; } = sitesRoot;
    public Guid SiteId { get; } = Guid.NewGuid();
    public Guid EnvironmentId { get; } = Guid.NewGuid();
    public Guid NodeId { get; } = Guid.NewGuid();
    public string SitePath => Path.Combine(SitesRoot, SiteId.ToString());
    public string CurrentPath => Path.Combine(SitePath, "current");

    /// <summary>Creates a release directory with a page; <paramref name="httpStatus"/> other than 200 makes it broken.</summary>
    public ReleaseRef AddRelease(string name, int httpStatus = 200, string? body = null)
    {
        var path = Path.Combine(SitePath, "releases", name);
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "index.html"), body ?? $"<h1>release {name}</h1>");
        if (httpStatus != 200)
        {
            File.WriteAllText(Path.Combine(path, ".status"), httpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return new ReleaseRef { Id = Guid.NewGuid(), Path = path };
    }

    /// <summary>Makes <paramref name="release"/> live the way a deployer does: a new link renamed over <c>current</c>.</summary>
    public void MakeCurrent(ReleaseRef release)
    {
        var temporary = CurrentPath + ".deploying";
        File.Delete(temporary);
        File.CreateSymbolicLink(temporary, release.Path);
        if (rename(temporary, CurrentPath) != 0)
        {
            throw new IOException($"Could not move {temporary} over {CurrentPath}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    // rename(2) replaces the old link in one step; File.Move refuses a link that points at a directory.
    [DllImport("libc", SetLastError = true)]
    private static extern int rename(string oldPath, string newPath);

    /// <summary>Where <c>current</c> points now.</summary>
    public string? CurrentTarget => File.ResolveLinkTarget(CurrentPath, returnFinalTarget: false)?.FullName;

    public NodeRef Node => new() { Id = NodeId, Hostname = "localhost", SshUser = System.Environment.UserName };
}
