using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PoseTrack.Tests.Models;

/// <summary>How <see cref="LoopbackHttpServer"/> misbehaves.</summary>
internal enum ServeMode
{
    /// <summary>Whole file, or the rest from a Range request (206).</summary>
    Normal,
    /// <summary>The first response announces the full length but the connection closes after half of it; later ones are normal.</summary>
    TruncateFirst,
    /// <summary>Every response stops after half of what it announces.</summary>
    AlwaysTruncate,
    /// <summary>Ignores Range (always 200 with the whole file); the first response is cut short.</summary>
    NoRangeTruncateFirst,
    /// <summary>404 for everything.</summary>
    NotFound,
}

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 (free port) serving one byte array at any path, one request per connection,
/// with Range support and scripted failures. Records the Range header of each request.
/// </summary>
internal sealed class LoopbackHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ServeMode _mode;
    private readonly CancellationTokenSource _stop = new();
    private int _requests;

    public LoopbackHttpServer(byte[] body, ServeMode mode = ServeMode.Normal)
    {
        Body = body;
        _mode = mode;
        _listener.Start();
        _ = Task.Run(AcceptLoopAsync);
    }

    /// <summary>What is served (may be swapped between requests).</summary>
    public byte[] Body { get; set; }

    /// <summary>Range header of each request in order ("" when none).</summary>
    public ConcurrentQueue<string> Ranges { get; } = new();

    public int Requests => Volatile.Read(ref _requests);

    public string Url(string file) => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/files/{file}";

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var body = Body;
                var stream = client.GetStream();
                var header = await ReadHeaderAsync(stream);
                int index = Interlocked.Increment(ref _requests) - 1;
                string range = header.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Range", StringComparison.OrdinalIgnoreCase))
                    .Select(p => p[1].Trim()).FirstOrDefault() ?? "";
                Ranges.Enqueue(range);

                if (_mode == ServeMode.NotFound)
                {
                    await WriteAsync(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    return;
                }
                long start = 0;
                if (_mode != ServeMode.NoRangeTruncateFirst && range.StartsWith("bytes=", StringComparison.Ordinal))
                    start = long.Parse(range["bytes=".Length..].TrimEnd('-'), CultureInfo.InvariantCulture);
                if (start >= body.Length)
                {
                    await WriteAsync(stream, $"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{body.Length}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    return;
                }
                long length = body.Length - start;
                var head = start > 0
                    ? $"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{body.Length - 1}/{body.Length}\r\nContent-Length: {length}\r\n"
                    : $"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nAccept-Ranges: bytes\r\n";
                await WriteAsync(stream, head + "Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n");
                bool cut = _mode == ServeMode.AlwaysTruncate || (index == 0 && _mode is ServeMode.TruncateFirst or ServeMode.NoRangeTruncateFirst);
                long send = cut ? length / 2 : length;
                await stream.WriteAsync(body.AsMemory((int)start, (int)send));
                await stream.FlushAsync();
                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (IOException) { }
            catch (SocketException) { }
            catch (ObjectDisposedException) { }
        }
    }

    private static async Task<string> ReadHeaderAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 64 * 1024)
        {
            if (await stream.ReadAsync(one) == 0) break;
            buffer.Add(one[0]);
            int n = buffer.Count;
            if (n >= 4 && buffer[n - 4] == '\r' && buffer[n - 3] == '\n' && buffer[n - 2] == '\r' && buffer[n - 1] == '\n') break;
        }
        return Encoding.ASCII.GetString(buffer.ToArray());
    }

    private static Task WriteAsync(NetworkStream stream, string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
