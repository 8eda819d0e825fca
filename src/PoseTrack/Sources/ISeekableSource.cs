namespace PoseTrack.Sources;

/// <summary>A source that can jump ahead without decoding what it skips (video files), for <c>--start</c>.</summary>
public interface ISeekableSource
{
    /// <summary>
    /// Moves so that the next frame read is at or before <paramref name="timeMs"/>, and not far before it. Returns false
    /// when the source cannot (it is then where it was, and the caller reads up to the time instead).
    /// </summary>
    bool TrySeekBefore(double timeMs);

    /// <summary>The index in the source (0-based) of the frame the next read returns, also after a seek.</summary>
    long NextFrameIndex { get; }
}
