using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pressluft.Runner.Demo;

/// <summary>
/// Stands in for nginx and PHP on a local node: serves <c>&lt;site&gt;/current/index.html</c> on 127.0.0.1. A release
/// that holds a <c>.status</c> file answers with that HTTP status instead, so a broken release can be simulated;
/// <c>.reason</c> sets the status line's reason phrase and <c>.headers</c> adds <c>Name: value</c> header lines (what a
/// tenant's site may send back, to test that it stays data).
/// It resolves <c>current</c> on every request, so a rollback is visible at once.
/// </summary>
public sealed class LocalSiteServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _sitePath;
    private readonly Task _loop;

    private LocalSiteServer(string sitePath, int port)
    {
        _sitePath = sitePath;
        Port = port;
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    public static LocalSiteServer Start(string sitePath) => new(sitePath, FreePort());

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var current = Path.Combine(_sitePath, "current");
            var statusFile = Path.Combine(current, ".status");
            var indexFile = Path.Combine(current, "index.html");
            var status = File.Exists(statusFile) && int.TryParse(File.ReadAllText(statusFile).Trim(), out var code) ? code : 200;
            var body = File.Exists(indexFile) ? File.ReadAllText(indexFile) : "no release is live";
            if (!Directory.Exists(current))
            {
                status = 502;
            }

            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            if (File.Exists(Path.Combine(current, ".reason")))
            {
                context.Response.StatusDescription = File.ReadAllText(Path.Combine(current, ".reason")).Trim();
            }

            if (File.Exists(Path.Combine(current, ".headers")))
            {
                foreach (var line in File.ReadAllLines(Path.Combine(current, ".headers")).Where(l => l.Contains(':', StringComparison.Ordinal)))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    context.Response.Headers.Add(line[..colon].Trim(), line[(colon + 1)..].Trim());
                }
            }

            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.ContentLength64 = bytes.Length;
            try
            {
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
            catch (HttpListenerException)
            {
                // The client went away; nothing to do.
            }
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
