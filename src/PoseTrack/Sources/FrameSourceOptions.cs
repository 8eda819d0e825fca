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
    }

    /// <summary>A reported rate if it is plausible, else the fallback (FFmpeg reports 0, NaN or 90000 for some streams).</summary>
    internal static double UsableFps(double reported) =>
        reported is > 0 and <= 1000 && double.IsFinite(reported) ? reported : FallbackFps;
}
