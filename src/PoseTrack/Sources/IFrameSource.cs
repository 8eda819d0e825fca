using OpenCvSharp;

namespace PoseTrack.Sources;

/// <summary>What a source delivers: size, frame rate, length (when known) and whether it is live.</summary>
/// <param name="Description">The input as the user named it (path, camera index, URL).</param>
/// <param name="Width">Frame width in pixels.</param>
/// <param name="Height">Frame height in pixels.</param>
/// <param name="Fps">Frames per second (a default when the source does not say).</param>
/// <param name="FrameCount">Number of frames when known (files, folders), else null.</param>
/// <param name="IsLive">True for cameras and streams: frames may be dropped to keep latency bounded.</param>
public sealed record SourceInfo(string Description, int Width, int Height, double Fps, long? FrameCount, bool IsLive)
{
    /// <summary>
    /// False when <see cref="FrameCount"/> is the container's estimate (duration × rate: MPEG-TS, Matroska, WebM…),
    /// which a complete file may well not reach (variable frame rate); only an exact count makes an early end an error.
    /// </summary>
    public bool FrameCountIsExact { get; init; } = true;
}

/// <summary>A sequence of BGR frames. Not thread-safe: one reader.</summary>
public interface IFrameSource : IDisposable
{
    /// <summary>Size, rate and kind of the source.</summary>
    SourceInfo Info { get; }

    /// <summary>
    /// Reads the next frame into <paramref name="frame"/> (reusing its buffer) and its timestamp in milliseconds
    /// (from the container for files and streams, wall-clock since the first frame for cameras, from the frame
    /// index and rate for image folders). Returns false at the end.
    /// Throws <see cref="Core.PoseTrackException"/> when the source breaks (corrupt data, camera gone).
    /// </summary>
    bool Read(Mat frame, out double timeMs);
}
