using System.Net.Sockets;
using System.Text;

namespace Pressluft.Runner.Tests.Support;

/// <summary>
/// A TCP server on 127.0.0.1 that answers every connection with bytes of the test's choosing, line by line with a pause
/// between lines: what no well-behaved web server sends (a status line that is not HTTP, headers dribbled out forever).
/// </summary>
internal sealed class RawHttpServer : LoopbackServer
{
    private readonly IReadOnlyList<string> _lines;
    private readonly TimeSpan _pause;
    private readonly bool _repeatLast;

    /// <param name="lines">The lines sent, each followed by CRLF; the last one repeats forever when <paramref name="repeatLast"/>.</param>
    /// <param name="pause">Between lines.</param>
    /// <param name="repeatLast">Keep sending the last line.</param>
    public RawHttpServer(IReadOnlyList<string> lines, TimeSpan pause, bool repeatLast)
    {
        _lines = lines;
        _pause = pause;
        _repeatLast = repeatLast;
        Start();
    }

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    protected override async Task AnswerAsync(TcpClient client)
    {
        var stream = client.GetStream();
        for (var i = 0; !Stopping.IsCancellationRequested; i++)
        {
            if (i >= _lines.Count && !_repeatLast)
            {
                return;
            }

            await stream.WriteAsync(Encoding.UTF8.GetBytes(_lines[Math.Min(i, _lines.Count - 1)] + "\r\n"), Stopping);
            await Task.Delay(_pause, Stopping);
        }
    }
}
