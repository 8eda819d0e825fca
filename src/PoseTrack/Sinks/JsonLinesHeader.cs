using PoseTrack.Core;
using PoseTrack.Sources;

namespace PoseTrack.Sinks;

/// <summary>
/// What the first line of a JSON lines file says about the run: input, frame size and rate, models and keypoint
/// layout. Written by <see cref="JsonLinesSink"/>, read back by <see cref="JsonLinesReader"/>.
/// </summary>
/// <param name="Input">The input as the user named it (path, camera index, URL).</param>
/// <param name="Width">Frame width in pixels.</param>
/// <param name="Height">Frame height in pixels.</param>
/// <param name="Fps">Frames per second of the input.</param>
/// <param name="FrameCount">Number of frames when known, else null (cameras, streams).</param>
/// <param name="DetectorModel">Name of the person detector model, or null when none was used.</param>
/// <param name="PoseModel">Name of the pose model, or null.</param>
/// <param name="Skeleton">The keypoint layout of every person in the file.</param>
/// <param name="Created">When the run started.</param>
public sealed record JsonLinesHeader(
    string Input, int Width, int Height, double Fps, long? FrameCount,
    string? DetectorModel, string? PoseModel, Skeleton Skeleton, DateTimeOffset Created)
{
    /// <summary>The format version this library writes.</summary>
    public const int CurrentVersion = 1;

    /// <summary>Format version of the file (<see cref="CurrentVersion"/> when writing).</summary>
    public int Version { get; init; } = CurrentVersion;

    /// <summary>
    /// Frame size of the annotated video written beside this log, when one is: it can be smaller than
    /// <see cref="Width"/> x <see cref="Height"/> (see <see cref="VideoFileSink.WrittenSize"/>); null when no video is written.
    /// </summary>
    public (int Width, int Height)? VideoSize { get; init; }

    /// <summary>Version of the PoseTrack library that wrote the log (<see cref="LibraryVersion"/>), or null when not recorded.</summary>
    public string? ToolVersion { get; init; }

    /// <summary>Execution provider the models ran on ("cpu", "cuda", "tensorrt"), or null when not recorded.</summary>
    public string? Provider { get; init; }

    /// <summary>Every option that changes the results (written, not read back: null in a header read from a file).</summary>
    internal SettingsJson? Settings { get; init; }

    /// <summary>This library's informational version (e.g. <c>0.1.0+commit</c>).</summary>
    public static string LibraryVersion { get; } =
        typeof(JsonLinesHeader).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";

    /// <summary>For one segment of a segmented run (<c>--segment</c>): which one; null for a whole run.</summary>
    public JsonLinesSegment? Segment { get; init; }

    /// <summary>A header for a run over <paramref name="source"/> starting now.</summary>
    public static JsonLinesHeader For(SourceInfo source, string? detectorModel, string? poseModel, Skeleton skeleton)
        => new(Secrets.Redact(source.Description), source.Width, source.Height, source.Fps, source.FrameCountIsExact ? source.FrameCount : null,
               detectorModel, poseModel, skeleton, DateTimeOffset.UtcNow);
}

/// <summary>Which segment of a segmented run (<c>--segment</c>) a JSON lines file holds.</summary>
/// <param name="Index">0 for the first segment; segments without a frame (in a gap) are skipped, so indexes can jump.</param>
/// <param name="StartMs">The segment's start on the frames' clock (time_ms): the run's first time_ms + Index × duration.</param>
/// <param name="Start">The segment's start on the wall clock (UTC), the time its file names carry.</param>
/// <param name="DurationMs">Frame time per segment; the segment holds the frames with StartMs ≤ time_ms &lt; StartMs + DurationMs.</param>
public sealed record JsonLinesSegment(int Index, double StartMs, DateTimeOffset Start, double DurationMs);

/// <summary>One person as read back from a JSON lines file.</summary>
/// <param name="TrackId">Tracker id, or null when the person was not tracked.</param>
/// <param name="Box">Person box (2 decimals).</param>
/// <param name="Score">Person score (3 decimals).</param>
/// <param name="Keypoints">Keypoints in image pixels; a coordinate that was not finite reads back as NaN.</param>
public sealed record JsonLinesPerson(int? TrackId, BoxF Box, float Score, Keypoint[] Keypoints);

/// <summary>One frame line as read back from a JSON lines file.</summary>
/// <param name="Frame">Frame index (0-based).</param>
/// <param name="TimeMs">Frame timestamp in milliseconds.</param>
/// <param name="Persons">The persons of the frame.</param>
public sealed record JsonLinesFrame(long Frame, double TimeMs, IReadOnlyList<JsonLinesPerson> Persons);

/// <summary>A whole JSON lines file.</summary>
/// <param name="Header">The header line.</param>
/// <param name="Frames">Every complete frame line, in file order.</param>
/// <param name="PartialLastLine">True when the file ended in an incomplete line (the writer was killed mid-line), which was skipped.</param>
public sealed record JsonLinesContent(JsonLinesHeader Header, IReadOnlyList<JsonLinesFrame> Frames, bool PartialLastLine)
{
    /// <summary>The closing summary line, or null when the run did not end normally (killed, failed) and wrote none.</summary>
    public RunTotals? Summary { get; init; }
}
