using System.Net.Sockets;
using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Sources;

/// <summary>
/// A network stream (rtsp://, http(s)://, rtmp://, …) opened by OpenCV's FFmpeg backend with open and read
/// timeouts. Live: frames may be dropped downstream to keep latency bounded.
/// </summary>
/// <remarks>
/// OpenCvSharp 4.13 has no named members for CAP_PROP_OPEN_TIMEOUT_MSEC (53) and CAP_PROP_READ_TIMEOUT_MSEC (54),
/// so they are passed by number; FFmpeg only honours them as open parameters, not when set afterwards.
/// The FFmpeg inside the official OpenCvSharp linux-x64 runtime is built without network protocols (its only
/// protocols are file, pipe, data, hls, crypto and similar; no tcp, http or rtsp), so with that runtime every
/// URL fails to open at once. To tell "unreachable" from "reachable but OpenCV cannot open it", the host is first
/// probed with a plain TCP connection, bounded by the same timeout; and the open itself runs on a worker with a
/// hard deadline so that a backend ignoring the timeout cannot hang the caller.
/// </remarks>
public sealed class StreamSource : IFrameSource
{
    private const int OpenTimeoutProp = 53;  // CAP_PROP_OPEN_TIMEOUT_MSEC
    private const int ReadTimeoutProp = 54;  // CAP_PROP_READ_TIMEOUT_MSEC

    private static readonly Dictionary<string, int> TcpPorts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["http"] = 80, ["https"] = 443, ["rtsp"] = 554, ["rtsps"] = 322, ["rtmp"] = 1935, ["rtmps"] = 443, ["tcp"] = -1,
    };

    private readonly VideoCapture _capture;
    private readonly string _url;
    private readonly string _shown;   // the URL with its password hidden: the only form that reaches messages and outputs
    private readonly TimeSpan _timeout;
    private double _firstMs = double.NaN;

    /// <summary>Connects to <paramref name="url"/>, failing within about <see cref="FrameSourceOptions.StreamTimeout"/>.</summary>
    /// <exception cref="PoseTrackException">The URL is malformed, the host unreachable, or the stream cannot be opened.</exception>
    public StreamSource(string url, FrameSourceOptions? options = null)
    {
        options ??= new FrameSourceOptions();
        options.Validate();
        _url = url;
        _shown = Secrets.Redact(url);
        _timeout = options.StreamTimeout;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new PoseTrackException($"stream {_shown} is not a valid URL");

        ProbeTcp(uri);
        _capture = OpenWithDeadline();
        var count = (long)_capture.FrameCount;
        Info = new SourceInfo(_shown, _capture.FrameWidth, _capture.FrameHeight,
            FrameSourceOptions.UsableFps(_capture.Fps), count > 0 ? count : null, IsLive: true);
    }

    /// <inheritdoc/>
    public SourceInfo Info { get; }

    /// <summary>Frames delivered so far.</summary>
    public long FramesRead { get; private set; }

    /// <inheritdoc/>
    /// <remarks>
    /// Returns false only when a stream of known length (a video file served over HTTP) is complete. A live
    /// stream has no normal end: a failed read means the connection was lost or no frame came within the
    /// timeout, and is thrown as an error.
    /// </remarks>
    public bool Read(Mat frame, out double timeMs)
    {
        timeMs = 0;
        bool ok;
        try { ok = _capture.Read(frame) && !frame.Empty(); }
        catch (OpenCVException e)
        {
            throw new PoseTrackException($"stream {_shown} failed: {e.Message.Split('\n')[0]}", inner: e);
        }
        if (!ok)
        {
            if (Info.FrameCount is long n && FramesRead >= n) return false;
            throw new PoseTrackException(
                $"stream {_shown} stopped after {FramesRead} frames (connection lost or no frame within {_timeout.TotalSeconds:0.#} s)");
        }

        // Live streams start at an arbitrary presentation time; report time since the first frame.
        var pos = _capture.PosMsec;
        if (double.IsNaN(_firstMs)) _firstMs = double.IsFinite(pos) ? pos : 0;
        timeMs = CaptureTime.FileMs(pos - _firstMs, FramesRead, Info.Fps);
        FramesRead++;
        return true;
    }

    /// <inheritdoc/>
    public void Dispose() => _capture.Dispose();

    private VideoCapture OpenWithDeadline()
    {
        var ms = (int)Math.Clamp(_timeout.TotalMilliseconds, 1, int.MaxValue);
        var open = Task.Run(() => new VideoCapture(_url, VideoCaptureAPIs.FFMPEG,
            [OpenTimeoutProp, ms, ReadTimeoutProp, ms]));
        // FFmpeg normally gives up by itself; the grace period only guards against a backend that does not.
        if (!open.Wait(_timeout + TimeSpan.FromSeconds(2)))
        {
            _ = open.ContinueWith(t => t.Result.Dispose(), TaskContinuationOptions.OnlyOnRanToCompletion);
            throw new PoseTrackException($"stream {_shown} cannot be opened: no answer within {_timeout.TotalSeconds:0.#} s");
        }
        var capture = open.Result;
        if (capture.IsOpened() && capture.FrameWidth > 0 && capture.FrameHeight > 0) return capture;
        capture.Dispose();
        throw new PoseTrackException($"stream {_shown} is reachable but cannot be opened (not a video stream, "
            + "or the OpenCV build lacks FFmpeg network support, as the official OpenCvSharp runtime does)");
    }

    /// <summary>Fails fast and clearly when nothing answers at the host and port of a TCP-based URL.</summary>
    private void ProbeTcp(Uri uri)
    {
        if (!TcpPorts.TryGetValue(uri.Scheme, out var defaultPort)) return;  // udp, srt, …: nothing to probe
        // Through a proxy FFmpeg never connects to the host itself, so a direct probe would prove nothing.
        if (uri.Scheme.StartsWith("http", StringComparison.OrdinalIgnoreCase)
            && (Environment.GetEnvironmentVariable("http_proxy") ?? Environment.GetEnvironmentVariable("HTTP_PROXY")) is not null)
            return;
        var port = uri.IsDefaultPort ? defaultPort : uri.Port;
        if (port <= 0)
            throw new PoseTrackException($"stream {_shown} names no port");

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(_timeout);
        string? problem = null;
        try
        {
            // Host-name resolution may ignore the token, hence the outer wait as well.
            var connect = socket.ConnectAsync(uri.DnsSafeHost, port, cts.Token).AsTask();
            if (!connect.Wait(_timeout + TimeSpan.FromSeconds(1)))
                problem = $"no answer within {_timeout.TotalSeconds:0.#} s";
        }
        catch (AggregateException e) when (e.InnerException is SocketException se)
        {
            problem = se.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
                SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable",
                SocketError.TimedOut => $"no answer within {_timeout.TotalSeconds:0.#} s",
                _ => se.Message,
            };
        }
        catch (AggregateException e) when (e.InnerException is OperationCanceledException)
        {
            problem = $"no answer within {_timeout.TotalSeconds:0.#} s";
        }
        if (problem is not null)
            throw new PoseTrackException($"stream {_shown} is unreachable ({problem})");
    }
}
