using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Sources;

/// <summary>
/// A live network stream (IP camera, encoder, another program) read through the system's <c>ffmpeg</c>: one
/// <see cref="FfmpegSource"/> child per connection, replaced by a new one when the stream stops delivering.
/// Live: the pipeline drops the oldest frames when it is behind.
/// </summary>
/// <remarks>
/// <para>Schemes: <c>rtsp</c>, <c>rtsps</c>, <c>http</c>, <c>https</c>, <c>udp</c>, <c>srt</c>, <c>rtmp</c>,
/// <c>rtmps</c>, <c>tcp</c> (<see cref="Handles"/>). ffmpeg input options: RTSP gets <c>-rtsp_transport tcp|udp</c>
/// and <c>-timeout</c> (socket I/O, µs); the others <c>-rw_timeout</c> (µs), both from
/// <see cref="FrameSourceOptions.StreamTimeout"/>; every live input gets <c>-thread_type slice</c>: frame-threaded
/// decoding would hold back one frame per decoder thread. (<c>-fflags nobuffer</c> makes ffmpeg 5.1 deliver no frame
/// at all from an RTSP H.264 stream, and <c>-flags low_delay</c> misorders streams with B-frames: neither is used.)</para>
/// <para>Size and rate are read from ffmpeg's stderr as for pipes (<see cref="FfmpegSource"/>), not probed first with
/// ffprobe: probing would be a second connection, which single-client servers (an MJPEG feed with
/// <c>-listen 1</c>, many cameras' limit of clients) refuse or serve only once, and it would double the time to
/// the first frame.</para>
/// <para>Timestamps: wall-clock time of each frame's arrival since the first frame (rawvideo carries no pts), so
/// they keep increasing across reconnects and their spacing is the real one.</para>
/// <para>Reconnect: when the stream ends, ffmpeg fails, or no frame arrives within the timeout (a watchdog ends the
/// stalled child), one warning is logged and the stream is reopened after 1, 2, 4 … 30 s, up to
/// <see cref="FrameSourceOptions.Reconnect"/> times; the next frame read carries a <see cref="SourceGap"/>
/// (<see cref="TakeGap"/>). A stream that comes back at another size is scaled to the first size (said once).
/// When the attempts are used up, <see cref="Read"/> throws. Every message shows the URL with its password hidden.</para>
/// </remarks>
public sealed class NetworkSource : IFrameSource, IReportsGaps
{
    private static readonly string[] Schemes = ["rtsp", "rtsps", "http", "https", "udp", "srt", "rtmp", "rtmps", "tcp"];
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly string _url;
    private readonly string _shown;
    private readonly FrameSourceOptions _options;
    private readonly CancellationToken _cancel;
    private readonly string? _ffmpegPath;
    private readonly ILogger? _logger;
    private readonly Timer _watchdog;
    private readonly Stopwatch _clock = new();
    private FfmpegSource? _child;
    private Mat? _scratch;
    private volatile bool _stalled;
    private bool _saidResized, _disposed;
    private double _lastMs;
    private (double From, string Reason)? _lost;
    private SourceGap? _gap;
    private int _attempts;                                 // reconnect attempts since the last frame
    private TimeSpan _delay = TimeSpan.FromSeconds(1);     // wait before the next attempt

    /// <summary>True for the URL schemes this source reads (rtsp, http, udp, …).</summary>
    public static bool Handles(string input)
    {
        int colon = input.IndexOf("://", StringComparison.Ordinal);
        return colon > 0 && Schemes.Contains(input[..colon].ToLowerInvariant());
    }

    /// <summary>
    /// Connects to <paramref name="url"/> and waits for the first frame (at most
    /// <see cref="FrameSourceOptions.StreamTimeout"/> per attempt; with <see cref="FrameSourceOptions.ReconnectAtStart"/>
    /// retried like a reconnect).
    /// </summary>
    /// <param name="url">The stream's URL, credentials included (they never appear in messages).</param>
    /// <param name="options">Timeout, RTSP transport, reconnect policy, logger.</param>
    /// <param name="cancel">Stops the run: a connection attempt or a backoff wait ends, and reading ends normally.</param>
    /// <param name="ffmpegPath">The ffmpeg program; null = <c>ffmpeg</c> on PATH.</param>
    /// <exception cref="PoseTrackException">ffmpeg is missing, the URL is malformed, or the stream cannot be opened.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> fired while connecting.</exception>
    public NetworkSource(string url, FrameSourceOptions? options = null, CancellationToken cancel = default, string? ffmpegPath = null)
    {
        _options = options ?? new FrameSourceOptions();
        _options.Validate();
        _url = url;
        _shown = Secrets.Redact(url);
        _cancel = cancel;
        _ffmpegPath = ffmpegPath;
        _logger = _options.Logger;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host) && !uri.Scheme.Equals("udp", StringComparison.OrdinalIgnoreCase))
            throw new PoseTrackException($"stream {_shown} is not a valid URL");
        _watchdog = new Timer(_ => OnStall());

        try { _child = Connect(); }
        catch (PoseTrackException e) when (_options.ReconnectAtStart && _options.Reconnect != 0 && Retryable(e))
        {
            _logger?.LogDebug("Input {Input}: connection attempt failed: {Message}", _shown, e.Message);
            _child = Reconnect(Cause(e), lostAfter: null);
        }
        var first = _child.Info;
        Info = new SourceInfo(_shown, first.Width, first.Height, first.Fps, FrameCount: null, IsLive: true);
    }

    /// <inheritdoc/>
    public SourceInfo Info { get; }

    /// <summary>Frames delivered so far.</summary>
    public long FramesRead { get; private set; }

    /// <summary>Successful reconnections so far.</summary>
    public int Reconnections { get; private set; }

    /// <summary>Process id of the current ffmpeg child (diagnostics and tests); 0 between connections.</summary>
    public int ProcessId => _child?.ProcessId ?? 0;

    /// <inheritdoc/>
    /// <remarks>Blocks until a frame arrives, reconnecting as often as allowed. Returns false only when the run is
    /// stopped (<c>cancel</c>) or the source disposed.</remarks>
    /// <exception cref="PoseTrackException">The stream was lost and could not be reopened within the allowed attempts.</exception>
    public bool Read(Mat frame, out double timeMs)
    {
        timeMs = 0;
        while (true)
        {
            if (_disposed || _cancel.IsCancellationRequested) return false;
            if (_child is null)
            {
                var (_, reason) = _lost!.Value;
                try { _child = Reconnect(reason, FramesRead); }
                catch (OperationCanceledException) { return false; }
                Reconnections++;
            }
            if (ReadFrom(_child, frame))
            {
                if (!_clock.IsRunning) _clock.Start();
                // Strictly increasing even if two frames arrive within the clock's resolution.
                timeMs = Math.Max(_clock.Elapsed.TotalMilliseconds, FramesRead == 0 ? 0 : _lastMs + 0.001);
                _attempts = 0;
                _delay = TimeSpan.FromSeconds(1);
                if (_lost is { } lost)
                {
                    _gap = new SourceGap(lost.From, timeMs, lost.Reason);
                    _lost = null;
                }
                _lastMs = timeMs;
                FramesRead++;
                return true;
            }
            if (_disposed || _cancel.IsCancellationRequested) return false;
            var why = _stalled
                ? string.Create(CultureInfo.InvariantCulture, $"no frame for {_options.StreamTimeout.TotalSeconds:0.#} s")
                : _child.EarlyEnd is not null ? "ffmpeg: " + (_child.Problem ?? "error") : "the stream ended";
            _child.Dispose();
            _child = null;
            _lost ??= (_lastMs, why);
            _logger?.LogWarning("Input {Input}: stream lost after frame {Frames} ({Reason}); reconnecting ({Attempts})",
                _shown, FramesRead, why, _options.Reconnect is { } n ? $"up to {n} attempt{(n == 1 ? "" : "s")}" : "--reconnect forever");
        }
    }

    /// <inheritdoc/>
    public SourceGap? TakeGap()
    {
        var gap = _gap;
        _gap = null;
        return gap;
    }

    /// <summary>Ends the current ffmpeg child and the watchdog.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _watchdog.Dispose();
        _child?.Dispose();
        _scratch?.Dispose();
    }

    /// <summary>Reads one frame from <paramref name="child"/>, scaled to the first connection's size; false when it ended.</summary>
    private bool ReadFrom(FfmpegSource child, Mat frame)
    {
        bool resize = Info is not null && (child.Info.Width != Info.Width || child.Info.Height != Info.Height);
        if (resize && !_saidResized)
        {
            _saidResized = true;
            _logger?.LogWarning("Input {Input}: the stream came back at {W}x{H}; its frames are scaled to {W0}x{H0} (said once)",
                _shown, child.Info.Width, child.Info.Height, Info!.Width, Info.Height);
        }
        var target = resize ? _scratch ??= new Mat() : frame;
        _stalled = false;
        _watchdog.Change(_options.StreamTimeout, Timeout.InfiniteTimeSpan);
        bool ok;
        try { ok = child.Read(target, out _); }
        finally { _watchdog.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan); }
        if (ok && resize) Cv2.Resize(target, frame, new Size(Info!.Width, Info.Height), interpolation: InterpolationFlags.Area);
        return ok;
    }

    private void OnStall()
    {
        _stalled = true;
        try { _child?.Stop(); } catch (ObjectDisposedException) { }
    }

    /// <summary>Worth another attempt: anything but a missing or unstartable ffmpeg.</summary>
    private static bool Retryable(PoseTrackException e) =>
        e.InnerException is not System.ComponentModel.Win32Exception && !e.Message.Contains("not installed", StringComparison.Ordinal)
        && !e.Message.Contains("cannot be started", StringComparison.Ordinal);

    /// <summary>A connection failure without the "input URL: " its message starts with.</summary>
    private string Cause(PoseTrackException e)
    {
        foreach (var prefix in new[] { $"stream {_shown} cannot be opened: ", $"input {_shown}: " })
            if (e.Message.StartsWith(prefix, StringComparison.Ordinal)) return e.Message[prefix.Length..];
        return e.Message;
    }

    /// <summary>One connection attempt, bounded by the stream timeout.</summary>
    private FfmpegSource Connect()
    {
        var micros = ((long)_options.StreamTimeout.TotalMilliseconds * 1000).ToString(CultureInfo.InvariantCulture);
        var scheme = _url[.._url.IndexOf("://", StringComparison.Ordinal)].ToLowerInvariant();
        var args = scheme is "rtsp" or "rtsps"
            ? new List<string> { "-rtsp_transport", _options.RtspTransport, "-timeout", micros }
            : new List<string> { "-rw_timeout", micros };
        args.AddRange(["-i", _url]);
        // The open timeout leaves ffmpeg's own socket timeout room to report first (its error line is clearer).
        try
        {
            return new FfmpegSource(_shown, args, readsStdin: false, _options, _cancel, _ffmpegPath,
                openTimeout: _options.StreamTimeout + TimeSpan.FromSeconds(2), extraInputFlags: ["-thread_type", "slice"]);
        }
        catch (PoseTrackException e) when (Retryable(e))
        {
            throw new PoseTrackException($"stream {_shown} cannot be opened: {Cause(e)}", inner: e);
        }
    }

    /// <summary>
    /// Connects again after 1, 2, 4 … 30 s, up to <see cref="FrameSourceOptions.Reconnect"/> attempts (each logged at
    /// debug level); throws the last failure when they are used up.
    /// </summary>
    private FfmpegSource Reconnect(string reason, long? lostAfter)
    {
        string? lastError = null;
        // The count and the backoff run on until a frame arrives (Read resets them): a stream that accepts the
        // connection but ends before its first frame is retried with a growing delay, not every second forever.
        while (_options.Reconnect is not { } max || _attempts < max)
        {
            _attempts++;
            if (_cancel.WaitHandle.WaitOne(_delay)) throw new OperationCanceledException(_cancel);
            _delay = _delay * 2 > MaxBackoff ? MaxBackoff : _delay * 2;
            try
            {
                var child = Connect();
                _logger?.LogInformation("Input {Input}: reconnected (attempt {Attempt})", _shown, _attempts);
                return child;
            }
            catch (PoseTrackException e) when (Retryable(e))
            {
                lastError = Cause(e);
                _logger?.LogDebug("Input {Input}: reconnect attempt {Attempt} failed: {Message}", _shown, _attempts, e.Message);
            }
        }
        if (lostAfter is null)
            throw new PoseTrackException($"stream {_shown} cannot be opened after {_options.Reconnect + 1} attempts: {lastError ?? reason}");
        throw new PoseTrackException($"stream {_shown} was lost after frame {lostAfter} ({reason}) and did not come back "
            + $"after {_options.Reconnect} reconnect attempt{(_options.Reconnect == 1 ? "" : "s")}{(lastError is null ? "" : ": " + lastError)}");
    }
}
