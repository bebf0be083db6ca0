using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pressluft.Faults;

/// <summary>
/// Stands in for nginx and PHP for every site of a scenario: <c>/&lt;site id&gt;/</c> serves that site's
/// <c>current/index.html</c>, or the status in <c>current/.status</c>. It resolves <c>current</c> on every request, so a
/// rollback is visible at once.
/// </summary>
internal sealed class SiteServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _sitesRoot;
    private readonly Task _loop;

    public SiteServer(string sitesRoot)
    {
        _sitesRoot = sitesRoot;
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public Uri UrlOf(Site site) => new($"http://127.0.0.1:{Port}/{site.SiteId}/");

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

            _ = Task.Run(() => Answer(context));
        }
    }

    private void Answer(HttpListenerContext context)
    {
        try
        {
            var siteId = context.Request.Url!.AbsolutePath.Trim('/').Split('/')[0];
            var current = Path.Combine(_sitesRoot, Guid.TryParse(siteId, out var id) ? id.ToString() : "-", "current");
            var status = 502;
            var body = "no release is live";
            if (Directory.Exists(current))
            {
                var statusFile = Path.Combine(current, ".status");
                status = File.Exists(statusFile) && int.TryParse(File.ReadAllText(statusFile).Trim(), out var code) ? code : 200;
                var index = Path.Combine(current, "index.html");
                body = File.Exists(index) ? File.ReadAllText(index) : "";
            }

            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.ContentLength64 = bytes.Length;
            context.Response.OutputStream.Write(bytes);
            context.Response.Close();
        }
        catch (Exception exception) when (exception is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The client gave up (its own timeout): nothing to answer.
        }
    }

    public static int FreePort()
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
