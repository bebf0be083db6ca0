using System.Net;
using System.Net.Sockets;

namespace Pressluft.Runner.Tests.Support;

/// <summary>Loopback ports for the services a test starts, so tests never collide on a fixed one.</summary>
public static class Ports
{
    /// <summary>A port nothing listens on right now (the system picks it).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
