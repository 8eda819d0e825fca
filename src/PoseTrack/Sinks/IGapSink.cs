using PoseTrack.Sources;

namespace PoseTrack.Sinks;

/// <summary>
/// A sink that records interruptions of a live source (<see cref="IReportsGaps"/>). The pipeline calls
/// <see cref="WriteGap"/> between the last frame before the gap and the first frame after it (frames dropped on the
/// way aside), on the same thread as <see cref="IFrameSink.Write"/>.
/// </summary>
public interface IGapSink
{
    /// <summary>Records one interruption.</summary>
    void WriteGap(SourceGap gap);
}
