using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>
/// Receives every processed frame in order. <see cref="Write"/> gets the frame's results and, for sinks that
/// draw (<see cref="NeedsImage"/>), the annotated image. <see cref="Complete"/> finalises the output (called on
/// normal end, on cancellation and after errors); <see cref="IDisposable.Dispose"/> releases it.
/// </summary>
public interface IFrameSink : IDisposable
{
    /// <summary>True when the sink wants the annotated image.</summary>
    bool NeedsImage { get; }
    /// <summary>Writes one frame; must leave the output valid up to this frame (flush per frame).</summary>
    void Write(FrameResult result, Mat? annotated);
    /// <summary>Finalises the output so it is complete and readable.</summary>
    void Complete();
}
