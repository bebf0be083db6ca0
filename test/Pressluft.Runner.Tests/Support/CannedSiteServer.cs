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
internal sealed class CannedSiteServer : LoopbackServer
{
    private readonly X509Certificate2? _certificate;
    private readonly byte[] _response;

    /// <param name="response">The whole response (status line, headers, blank line, body), CRLF line ends.</param>
    /// <param name="tls">Answer over TLS with a self-signed certificate for 127.0.0.1.</param>
    public CannedSiteServer(string response, bool tls)
        : this(Encoding.ASCII.GetBytes(response), tls)
    {
    }

    /// <param name="response">The whole response as bytes (a binary body).</param>
    /// <param name="tls">Answer over TLS with a self-signed certificate for 127.0.0.1.</param>
    public CannedSiteServer(byte[] response, bool tls)
    {
        _response = response;
        _certificate = tls ? SelfSigned() : null;
        Start();
    }

    public Uri Url => new($"{(_certificate is null ? "http" : "https")}://127.0.0.1:{Port}/");

    /// <summary>A response with this status and headers and an empty body.</summary>
    public static string Response(string status, params string[] headers) => Head(status, headers, 0);

    /// <summary>A 200 response with this body and headers.</summary>
    public static byte[] Response(byte[] body, params string[] headers) =>
    [
        .. Encoding.ASCII.GetBytes(Head("200 OK", headers, body.Length)),
        .. body,
    ];

    private static string Head(string status, string[] headers, int length) =>
        $"HTTP/1.1 {status}\r\n{string.Concat(headers.Select(h => h + "\r\n"))}Content-Length: {length}\r\nConnection: close\r\n\r\n";

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _certificate?.Dispose();
    }

    protected override async Task AnswerAsync(TcpClient client)
    {
        Stream stream = client.GetStream();
        if (_certificate is not null)
        {
            var tls = new SslStream(stream);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, Stopping);
            stream = tls;
        }

        await using (stream)
        {
            // The request's head, up to its blank line (a GET has no body).
            var head = new StringBuilder();
            var buffer = new byte[4096];
            while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, Stopping);
                if (read == 0)
                {
                    return;
                }

                head.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            await stream.WriteAsync(_response, Stopping);
            await stream.FlushAsync(Stopping);
        }
    }

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
}
