namespace PoseTrack.Sources;

/// <summary>
/// An interruption of a live source: no frames between <paramref name="FromMs"/> (the time of the last frame before
/// it) and <paramref name="ToMs"/> (the time of the first frame after it), on the source's own clock (the frames'
/// <c>time_ms</c>). Written to the JSON lines as <c>{"type":"gap","from_ms":…,"to_ms":…,"reason":…}</c>.
/// </summary>
/// <param name="FromMs">Time of the last frame before the interruption.</param>
/// <param name="ToMs">Time of the first frame after it.</param>
/// <param name="Reason">Why the source stopped delivering (credentials hidden), e.g. "the stream ended".</param>
public sealed record SourceGap(double FromMs, double ToMs, string Reason);

/// <summary>
/// A source that can be interrupted and resume (a network stream that reconnects). After each successful
/// <see cref="IFrameSource.Read"/> the pipeline asks <see cref="TakeGap"/> on the same thread; a gap returned there
/// lies just before the frame that was read, and the pipeline hands it to the sinks that implement
/// <see cref="Sinks.IGapSink"/> in order with the frames.
/// </summary>
public interface IReportsGaps
{
    /// <summary>The interruption that ended with the frame just read, once; else null.</summary>
    SourceGap? TakeGap();
}
