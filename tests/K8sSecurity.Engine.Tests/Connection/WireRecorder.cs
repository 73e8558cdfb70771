using System.Net;
using System.Net.Sockets;
using System.Text;

namespace K8sSecurity.Engine.Tests.Connection;

/// <summary>
/// A plain-HTTP listener on 127.0.0.1 that keeps the head of every request exactly as it arrived (request line and
/// header lines, bytes decoded as UTF-8) and answers each with a 403 Status and Connection: close. For asserting what
/// a client puts on the wire, the module's transport and kubectl alike.
/// </summary>
public sealed class WireRecorder : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly List<IReadOnlyList<string>> heads = new();
    private readonly CancellationTokenSource stop = new();

    public WireRecorder()
    {
        listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    public string Server => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    /// <summary>Each request's head: the request line, then one string per header line as sent.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Heads
    {
        get
        {
            lock (heads)
            {
                return heads.ToList();
            }
        }
    }

    /// <summary>The Impersonate-* lines of one request, as sent ("Name: value").</summary>
    public static IReadOnlyList<string> ImpersonationLines(IReadOnlyList<string> head) =>
        head.Skip(1).Where(l => l.StartsWith("Impersonate-", StringComparison.OrdinalIgnoreCase)).ToList();

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var received = new List<byte>();
                var buffer = new byte[16384];
                int end;
                while ((end = IndexOfHeadEnd(received)) < 0)
                {
                    int read = await stream.ReadAsync(buffer, stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    received.AddRange(buffer.AsSpan(0, read));
                }

                string head = Encoding.UTF8.GetString(received.GetRange(0, end).ToArray());
                lock (heads)
                {
                    heads.Add(head.Split("\r\n"));
                }

                byte[] body = Encoding.UTF8.GetBytes("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"recorded\",\"reason\":\"Forbidden\",\"code\":403}");
                byte[] response = Encoding.ASCII.GetBytes($"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(response.Concat(body).ToArray(), stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
            }
            catch (IOException)
            {
            }
        }
    }

    private static int IndexOfHeadEnd(List<byte> bytes)
    {
        for (int i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}
