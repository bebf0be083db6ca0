using System.Net;
using System.Net.Sockets;

namespace Pressluft.Runner.Tests.Support;

/// <summary>A TCP server on 127.0.0.1 (a free port) that hands each connection to <see cref="AnswerAsync"/>.</summary>
internal abstract class LoopbackServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    protected int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Cancelled when the server stops.</summary>
    protected CancellationToken Stopping => _stop.Token;

    /// <summary>Starts listening; called by the subclass once it is ready to answer.</summary>
    protected void Start()
    {
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>Answers one connection; the client is disposed afterwards.</summary>
    protected abstract Task AnswerAsync(TcpClient client);

    public virtual async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }

    private async Task ServeAsync()
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

            _ = AnswerOnceAsync(client);
        }
    }

    private async Task AnswerOnceAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await AnswerAsync(client);
            }
            catch (Exception exception) when (exception is OperationCanceledException or IOException or SocketException
                                                  or System.Security.Authentication.AuthenticationException)
            {
                // The client went away (or refused a certificate), or the server stops.
            }
        }
    }
}
