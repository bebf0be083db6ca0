using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pressluft.Runner.Tests.Support;

/// <summary>
/// A TCP server on 127.0.0.1 that answers every connection with bytes of the test's choosing, line by line with a pause
/// between lines: what no well-behaved web server sends (a status line that is not HTTP, headers dribbled out forever).
/// </summary>
internal sealed class RawHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="lines">The lines sent, each followed by CRLF; the last one repeats forever when <paramref name="repeatLast"/>.</param>
    /// <param name="pause">Between lines.</param>
    /// <param name="repeatLast">Keep sending the last line.</param>
    public RawHttpServer(IReadOnlyList<string> lines, TimeSpan pause, bool repeatLast)
    {
        _listener.Start();
        _loop = Task.Run(() => ServeAsync(lines, pause, repeatLast));
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    private async Task ServeAsync(IReadOnlyList<string> lines, TimeSpan pause, bool repeatLast)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = AnswerAsync(client, lines, pause, repeatLast);
        }
    }

    private async Task AnswerAsync(TcpClient client, IReadOnlyList<string> lines, TimeSpan pause, bool repeatLast)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                for (var i = 0; !_stop.IsCancellationRequested; i++)
                {
                    if (i >= lines.Count && !repeatLast)
                    {
                        return;
                    }

                    await stream.WriteAsync(Encoding.UTF8.GetBytes(lines[Math.Min(i, lines.Count - 1)] + "\r\n"), _stop.Token);
                    await Task.Delay(pause, _stop.Token);
                }
            }
            catch (Exception exception) when (exception is OperationCanceledException or IOException or SocketException)
            {
                // The client went away or the server stops.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
