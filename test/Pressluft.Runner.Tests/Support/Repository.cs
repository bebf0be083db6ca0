using System.Net;
using System.Net.Sockets;

namespace Pressluft.Runner.Tests.Support;

/// <summary>Where the checkout is, and a free loopback port for a service a test starts.</summary>
public static class Repository
{
    public static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Pressluft.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("Pressluft.sln not found above the test folder");
    }

    /// <summary>A port nothing listens on right now (the system picks it), for a test's own HTTP surface.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
