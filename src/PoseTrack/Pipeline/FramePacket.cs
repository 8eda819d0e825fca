using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Pipeline;

/// <summary>
/// One frame travelling through the pipeline. Each stage fills in its part; the image comes from a
/// <see cref="MatPool"/> and goes back to it when the last stage is done (or when a live source drops the frame).
/// </summary>
internal sealed class FramePacket
{
    /// <summary>0-based index of the frame in the source (frames skipped by --start or dropped still count).</summary>
    public long Index { get; init; }
    /// <summary>Timestamp in milliseconds from the source.</summary>
    public double TimeMs { get; init; }
    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp of the frame's arrival from the source (for latency).</summary>
    public long CapturedAt { get; init; }
    /// <summary>The frame (BGR). Drawn on in place by the render stage.</summary>
    public required Mat Image { get; init; }
    /// <summary>Detector boxes; null on frames where the detector did not run (detect every k frames).</summary>
    public IReadOnlyList<PersonDetection>? Detections { get; set; }
    /// <summary>Poses from the pose stage, then with track ids from the track stage.</summary>
    public IReadOnlyList<Person> Persons { get; set; } = [];
}
