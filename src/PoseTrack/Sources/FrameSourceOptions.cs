using Microsoft.Extensions.Logging;

namespace PoseTrack.Sources;

/// <summary>How <see cref="FrameSources.Open(string, FrameSourceOptions?)"/> and the sources it builds behave.</summary>
public sealed record FrameSourceOptions
{
    /// <summary>Frame rate given to image folders, which carry no timing of their own (default 25).</summary>
    public double FolderFps { get; init; } = 25;

    /// <summary>
    /// How long a network stream may take to connect, and later to deliver a frame, before it is reported as
    /// unreachable or lost (default 10 s).
    /// </summary>
    public TimeSpan StreamTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Transport for <c>rtsp://</c> inputs: <c>tcp</c> (default: RTP interleaved on the RTSP connection, no loss, passes
    /// NAT and firewalls) or <c>udp</c> (lower latency on a clean network, but packets can be lost).
    /// </summary>
    public string RtspTransport { get; init; } = "tcp";

    /// <summary>
    /// How many times a network stream that stopped delivering (end, error, or no frame within
    /// <see cref="StreamTimeout"/>) is reconnected before the run fails; null = forever (the default). A successful
    /// reconnect starts the count again. Files, folders and pipes never reconnect.
    /// </summary>
    public int? Reconnect { get; init; }

    /// <summary>
    /// Whether the first connection is retried as well (with the same count and backoff), for a camera that may not be
    /// up yet. False (default): a stream that cannot be opened at start fails at once, so a wrong URL or password is
    /// reported immediately.
    /// </summary>
    public bool ReconnectAtStart { get; init; }

    /// <summary>
    /// What decodes video files (default <see cref="VideoDecoder.Auto"/>: the system's <c>ffmpeg</c> program where its
    /// frames are OpenCV's to the bit, else OpenCV's built-in FFmpeg). Cameras, streams and pipes are not affected.
    /// </summary>
    public VideoDecoder Decoder { get; init; } = VideoDecoder.Auto;

    /// <summary>Receives warnings (skipped or resized images); null = warnings are only recorded on the source.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Frame rate assumed when a video, camera or stream does not report a usable one.</summary>
    internal const double FallbackFps = 25;

    internal void Validate()
    {
        if (!(FolderFps > 0) || double.IsInfinity(FolderFps))
            throw new Core.PoseTrackException($"FrameSourceOptions.FolderFps must be a positive number (got {FolderFps})");
        if (StreamTimeout <= TimeSpan.Zero)
            throw new Core.PoseTrackException($"FrameSourceOptions.StreamTimeout must be positive (got {StreamTimeout.TotalSeconds} s)");
        if (RtspTransport is not ("tcp" or "udp"))
            throw new Core.PoseTrackException($"FrameSourceOptions.RtspTransport must be tcp or udp (got '{RtspTransport}')");
        if (Reconnect is < 0)
            throw new Core.PoseTrackException($"FrameSourceOptions.Reconnect must be 0 or more (got {Reconnect})");
    }

    /// <summary>A reported rate if it is plausible, else the fallback (FFmpeg reports 0, NaN or 90000 for some streams).</summary>
    internal static double UsableFps(double reported) =>
        reported is > 0 and <= 1000 && double.IsFinite(reported) ? reported : FallbackFps;
}

/// <summary>What decodes video files.</summary>
public enum VideoDecoder
{
    /// <summary>
    /// The system's <c>ffmpeg</c> program where its frames are OpenCV's to the bit (a yuv420p stream, not rotated, with
    /// the system's libswscale; checked on the first frame), else OpenCV: faster at camera resolutions, same results.
    /// </summary>
    Auto,
    /// <summary>The system's <c>ffmpeg</c> program as a child process for every file (an error when it is not
    /// installed); streams that are not plain yuv420p are converted by ffmpeg (up to 3 grey levels from OpenCV's).</summary>
    Ffmpeg,
    /// <summary>OpenCV's built-in FFmpeg, in process.</summary>
    OpenCv,
}
