using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Pressluft.Runner.Tests.Support;

/// <summary>
/// A server on 127.0.0.1 that reads each request's head and answers it with one canned response, over plain HTTP or
/// over TLS with a self-signed certificate no one else signed (for redirects and certificate checks).
/// </summary>
internal sealed class CannedSiteServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly X509Certificate2? _certificate;
    private readonly string _response;
    private readonly Task _loop;

    /// <param name="response">The whole response (status line, headers, blank line, body), CRLF line ends.</param>
    /// <param name="tls">Answer over TLS with a self-signed certificate for 127.0.0.1.</param>
    public CannedSiteServer(string response, bool tls)
    {
        _response = response;
        _certificate = tls ? SelfSigned() : null;
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri Url => new($"{(_certificate is null ? "http" : "https")}://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>A response with this status and headers and an empty body.</summary>
    public static string Response(string status, params string[] headers) =>
        $"HTTP/1.1 {status}\r\n{string.Concat(headers.Select(h => h + "\r\n"))}Content-Length: 0\r\nConnection: close\r\n\r\n";

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
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

            _ = AnswerAsync(client);
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var tls = new SslStream(stream);
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
                    stream = tls;
                }

                await using (stream)
                {
                    // The request's head, up to its blank line (a GET has no body).
                    var head = new StringBuilder();
                    var buffer = new byte[4096];
                    while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var read = await stream.ReadAsync(buffer, _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }

                        head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    }

                    await stream.WriteAsync(Encoding.ASCII.GetBytes(_response), _stop.Token);
                    await stream.FlushAsync(_stop.Token);
                }
            }
            catch (Exception exception) when (exception is OperationCanceledException or IOException or SocketException
                                                  or System.Security.Authentication.AuthenticationException)
            {
                // The client went away (or refused the certificate), or the server stops.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
        _certificate?.Dispose();
    }
}
