using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace K8sSecurity.Tests.Connection;

/// <summary>
/// Small network peers for transport tests: a plain-HTTP API look-alike that records what it receives, a proxy
/// (HTTP CONNECT and SOCKS5) that counts the tunnels it opens, a server that accepts TCP and never answers, and a
/// TLS server that completes the handshake and then never answers.
/// </summary>
public abstract class TestEndpoint : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentBag<TcpClient> clients = new();

    protected TestEndpoint()
    {
        listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public int Connections => clients.Count;

    public void Dispose()
    {
        stopping.Cancel();
        listener.Stop();
        foreach (var client in clients)
        {
            client.Dispose();
        }

        stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    protected CancellationToken Stopping => stopping.Token;

    protected abstract Task ServeAsync(TcpClient client, CancellationToken cancellationToken);

    protected static async Task<string> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                break;
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            clients.Add(client);
            _ = Task.Run(async () =>
            {
                try
                {
                    await ServeAsync(client, stopping.Token);
                }
                catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
                {
                    // The peer went away.
                }
            });
        }
    }
}

/// <summary>Plain HTTP: answers /version, 404 for everything else, and records every request's Authorization header.</summary>
public sealed class PlainHttpApiServer : TestEndpoint
{
    public ConcurrentQueue<(string RequestLine, string? Authorization)> Requests { get; } = new();

    protected override async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        var stream = client.GetStream();
        while (true)
        {
            string head = await ReadHeadAsync(stream, cancellationToken);
            if (head.Length == 0)
            {
                return;
            }

            var lines = head.Split("\r\n");
            string? authorization = lines.FirstOrDefault(l => l.StartsWith("Authorization:", StringComparison.OrdinalIgnoreCase))?.Split(':', 2)[1].Trim();
            int length = lines.Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)).Select(l => int.Parse(l.Split(':', 2)[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
            if (length > 0)
            {
                await stream.ReadExactlyAsync(new byte[length], cancellationToken);
            }

            Requests.Enqueue((lines[0], authorization));
            bool version = lines[0].Split(' ')[1].StartsWith("/version", StringComparison.Ordinal);
            string body = version
                ? """{"major":"1","minor":"32","gitVersion":"v1.32.13","platform":"linux/amd64"}"""
                : """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}""";
            string status = version ? "200 OK" : "404 Not Found";
            byte[] bytes = Encoding.UTF8.GetBytes(body);
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n\r\n"), cancellationToken);
            await stream.WriteAsync(bytes, cancellationToken);
        }
    }
}

/// <summary>
/// A forward proxy speaking HTTP CONNECT and SOCKS5 (no authentication) that records each tunnel's target; with a
/// certificate, clients reach it over TLS (an https:// proxy).
/// </summary>
public sealed class TunnelProxy(X509Certificate2? certificate = null) : TestEndpoint
{
    public ConcurrentQueue<string> Tunnels { get; } = new();

    protected override async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        Stream stream = client.GetStream();
        if (certificate is not null)
        {
            var tls = new SslStream(stream);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, cancellationToken);
            stream = tls;
        }

        var first = new byte[1];
        await stream.ReadExactlyAsync(first, cancellationToken);
        string host;
        int port;
        if (first[0] == 5)
        {
            var methods = new byte[1];
            await stream.ReadExactlyAsync(methods, cancellationToken);
            await stream.ReadExactlyAsync(new byte[methods[0]], cancellationToken);
            await stream.WriteAsync(new byte[] { 5, 0 }, cancellationToken);
            var request = new byte[4];
            await stream.ReadExactlyAsync(request, cancellationToken);
            switch (request[3])
            {
                case 1:
                    var v4 = new byte[4];
                    await stream.ReadExactlyAsync(v4, cancellationToken);
                    host = new IPAddress(v4).ToString();
                    break;
                case 3:
                    var size = new byte[1];
                    await stream.ReadExactlyAsync(size, cancellationToken);
                    var name = new byte[size[0]];
                    await stream.ReadExactlyAsync(name, cancellationToken);
                    host = Encoding.ASCII.GetString(name);
                    break;
                default:
                    var v6 = new byte[16];
                    await stream.ReadExactlyAsync(v6, cancellationToken);
                    host = new IPAddress(v6).ToString();
                    break;
            }

            var portBytes = new byte[2];
            await stream.ReadExactlyAsync(portBytes, cancellationToken);
            port = (portBytes[0] << 8) | portBytes[1];
            Tunnels.Enqueue($"socks5 {host}:{port}");
            await stream.WriteAsync(new byte[] { 5, 0, 0, 1, 0, 0, 0, 0, 0, 0 }, cancellationToken);
        }
        else
        {
            string head = (char)first[0] + await ReadHeadAsync(stream, cancellationToken);
            string[] requestLine = head.Split("\r\n")[0].Split(' ');
            if (requestLine[0] != "CONNECT")
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n"), cancellationToken);
                return;
            }

            int colon = requestLine[1].LastIndexOf(':');
            host = requestLine[1][..colon].Trim('[', ']');
            port = int.Parse(requestLine[1][(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            Tunnels.Enqueue($"CONNECT {requestLine[1]}");
            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 Connection established\r\n\r\n"), cancellationToken);
        }

        using var upstream = new TcpClient();
        await upstream.ConnectAsync(host, port, cancellationToken);
        var target = upstream.GetStream();
        await Task.WhenAny(stream.CopyToAsync(target, cancellationToken), target.CopyToAsync(stream, cancellationToken));
    }
}

/// <summary>Accepts TCP connections and never sends a byte.</summary>
public sealed class SilentServer : TestEndpoint
{
    protected override Task ServeAsync(TcpClient client, CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);
}

/// <summary>Completes the TLS handshake with the given certificate, then never answers a request.</summary>
public sealed class StallingTlsServer(X509Certificate2 certificate) : TestEndpoint
{
    protected override async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using var tls = new SslStream(client.GetStream());
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, cancellationToken);
        await ReadHeadAsync(tls, cancellationToken);
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }
}
