using System.Globalization;
using System.Text.RegularExpressions;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Sources;

namespace PoseTrack.Sinks;

/// <summary>One segment of a segmented run (<c>--segment</c>).</summary>
/// <param name="Index">0 for the first segment, then 1, 2 … (segments without a frame, during a gap, are skipped).</param>
/// <param name="StartMs">The segment's start on the frames' clock (time_ms): the first frame's time + Index × duration.</param>
/// <param name="StartUtc">The segment's start on the wall clock: the run's first frame's wall-clock time + (StartMs − the first frame's time_ms).</param>
internal sealed record OutputSegment(int Index, double StartMs, DateTimeOffset StartUtc)
{
    /// <summary>
    /// The file name of this segment for an output named <paramref name="path"/>: <c>NAME_yyyyMMddTHHmmssZ.EXT</c>
    /// beside it (the segment's UTC start, to the second), e.g. <c>out.mp4</c> → <c>out_20261203T134501Z.mp4</c>.
    /// </summary>
    public string PathFor(string path) => SegmentedOutputs.NameFor(path, StartUtc);
}

/// <summary>
/// Splits a run's annotated video and JSON lines log into closed segments of a fixed duration of frame time
/// (<c>--segment DURATION</c>), for runs that never end. Segment k holds the frames with
/// <c>first time_ms + k × duration ≤ time_ms &lt; first time_ms + (k+1) × duration</c>, so a file input always gives
/// the same segments. When a frame falls past the current segment, that segment's outputs are completed (the video
/// finalised and playable, the log closed) before the next segment's are opened; every segment's log starts with
/// its own header. A gap record goes to the segment of the frame after the gap. The run's closing summary
/// (<see cref="ISummarySink"/>) goes to the last segment's log only, with the whole run's totals: the earlier
/// segments were closed by the rotation, not by the run's end.
/// </summary>
/// <remarks>
/// Each segment's files are checked before they are opened: never an input or an output of this run (an earlier
/// segment or another option's file; refused with <see cref="PoseTrackException"/>), and opened by the sinks, which
/// take the writer's lock (another process writing the file refuses it). The pipeline's <see cref="Complete"/> on a
/// stop (Ctrl+C, SIGTERM, the end of the input) finalises the open segment like any other output.
/// </remarks>
internal sealed partial class SegmentedOutputs : IFrameSink, IGapSink, ISummarySink
{
    private readonly Func<OutputSegment, IReadOnlyList<IFrameSink>> _open;
    private readonly Func<OutputSegment, IReadOnlyList<(string Name, string Path)>> _paths;
    private readonly List<(string Name, string Path, string Key)> _taken = [];
    private readonly List<SourceGap> _pendingGaps = [];
    private readonly List<OutputSegment> _segments = [];
    private IReadOnlyList<IFrameSink> _current = [];
    private double? _firstMs;
    private DateTimeOffset _firstUtc;
    private int _index = -1;
    private bool _completed, _disposed;

    /// <summary>Shortest segment: names are to the second, so two segments never share one.</summary>
    public static readonly TimeSpan MinDuration = TimeSpan.FromSeconds(1);

    /// <summary>Frame time per segment.</summary>
    public TimeSpan Duration { get; }
    /// <inheritdoc />
    public bool NeedsImage { get; }
    /// <summary>The segments opened so far, in order.</summary>
    public IReadOnlyList<OutputSegment> Segments => _segments;
    /// <summary>The files of every segment opened so far (option name, path), in order.</summary>
    public IEnumerable<(string Name, string Path)> Files => _segments.SelectMany(_paths);

    /// <summary>Wall clock for the first frame; tests may fix it.</summary>
    public Func<DateTimeOffset> Clock { get; init; } = () => DateTimeOffset.UtcNow;

    /// <param name="duration">Frame time per segment, at least <see cref="MinDuration"/>.</param>
    /// <param name="needsImage">True when a segment's sinks draw (a video).</param>
    /// <param name="paths">The files a segment will write (option name and path), checked before it is opened.</param>
    /// <param name="open">Opens a segment's sinks (in the order frames are given to them).</param>
    /// <param name="reserved">Files this segmented output must never write: the inputs and the run's other outputs.</param>
    public SegmentedOutputs(TimeSpan duration, bool needsImage, Func<OutputSegment, IReadOnlyList<(string Name, string Path)>> paths,
        Func<OutputSegment, IReadOnlyList<IFrameSink>> open, IEnumerable<(string Name, string? Path)> reserved)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(reserved);
        if (duration < MinDuration) throw new PoseTrackException($"--segment must be at least 1 s (got {FormatDuration(duration)})");
        Duration = duration;
        NeedsImage = needsImage;
        _paths = paths;
        _open = open;
        foreach (var (name, path) in reserved)
            if (!string.IsNullOrWhiteSpace(path)) _taken.Add((name, path, FileIdentity.Key(path)));
    }

    /// <summary><c>NAME_yyyyMMddTHHmmssZ.EXT</c> beside <paramref name="path"/>, for a segment starting at <paramref name="startUtc"/>.</summary>
    public static string NameFor(string path, DateTimeOffset startUtc)
    {
        ArgumentNullException.ThrowIfNull(path);
        var dir = Path.GetDirectoryName(path);
        var name = Path.GetFileNameWithoutExtension(path) + "_" + startUtc.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) + Path.GetExtension(path);
        return string.IsNullOrEmpty(dir) ? name : Path.Combine(dir, name);
    }

    /// <inheritdoc />
    public void Write(FrameResult result, Mat? annotated)
    {
        ArgumentNullException.ThrowIfNull(result);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) throw new InvalidOperationException("The segmented output is complete; no more frames can be written.");
        if (_firstMs is null)
        {
            _firstMs = result.TimeMs;
            _firstUtc = Clock();
        }
        double offset = Math.Max(0, result.TimeMs - _firstMs.Value);
        int index = (int)Math.Min(int.MaxValue, Math.Floor(offset / Duration.TotalMilliseconds));
        if (index != _index) Rotate(Math.Max(index, _index));
        if (_pendingGaps.Count > 0)
        {
            foreach (var g in _pendingGaps) WriteGapNow(g);
            _pendingGaps.Clear();
        }
        foreach (var sink in _current) sink.Write(result, sink.NeedsImage ? annotated : null);
    }

    /// <summary>Completes the open segment and opens segment <paramref name="index"/>.</summary>
    private void Rotate(int index)
    {
        if (index == _index) return;
        CloseCurrent();
        double startMs = _firstMs!.Value + index * Duration.TotalMilliseconds;
        var segment = new OutputSegment(index, startMs, _firstUtc + TimeSpan.FromMilliseconds(startMs - _firstMs.Value));
        var files = _paths(segment);
        var keys = new List<(string Name, string Path, string Key)>();
        foreach (var (name, path) in files)
        {
            var key = FileIdentity.Key(path);
            foreach (var t in _taken.Concat(keys))
                if (t.Key == key)
                    throw new PoseTrackException($"{name} segment {path} is {t.Name} {t.Path} (the same file): refusing to overwrite it; choose another output name");
            keys.Add((name, path, key));
        }
        _index = index;
        _current = _open(segment);
        _segments.Add(segment);
        // Keyed again now that they exist: the identity of an existing file is its device and inode.
        foreach (var (name, path, _) in keys) _taken.Add((name, path, FileIdentity.Key(path)));
    }

    private void CloseCurrent()
    {
        var sinks = _current;
        _current = [];
        Exception? first = null;
        foreach (var sink in sinks)
        {
            try { sink.Complete(); }
            catch (Exception e) { first ??= e; }
        }
        foreach (var sink in sinks) sink.Dispose();
        if (first is not null) throw first;
    }

    /// <inheritdoc />
    public void WriteSummary(RunTotals totals)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var sink in _current) if (sink is ISummarySink s) s.WriteSummary(totals);
    }

    /// <inheritdoc />
    public void WriteGap(SourceGap gap)
    {
        ArgumentNullException.ThrowIfNull(gap);
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Written with the next frame, into that frame's segment (the one the stream came back in).
        _pendingGaps.Add(gap);
    }

    private void WriteGapNow(SourceGap gap)
    {
        foreach (var sink in _current) if (sink is IGapSink g) g.WriteGap(gap);
    }

    /// <summary>Writes gaps still waiting for a frame into the open segment, then completes it; later calls do nothing.</summary>
    public void Complete()
    {
        if (_completed || _disposed) return;
        _completed = true;
        try
        {
            foreach (var g in _pendingGaps) WriteGapNow(g);
        }
        finally
        {
            _pendingGaps.Clear();
            CloseCurrent();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var sink in _current) sink.Dispose();
        _current = [];
    }

    /// <summary>
    /// Parses a segment duration: a number with a unit, <c>s</c>, <c>m</c> or <c>h</c> (<c>30s</c>, <c>10m</c>,
    /// <c>1.5h</c>), several of them (<c>1h30m</c>), or a plain number of seconds. Throws
    /// <see cref="PoseTrackException"/> (naming <c>--segment</c>) for anything else or under 1 s.
    /// </summary>
    public static TimeSpan ParseDuration(string text)
    {
        var m = DurationPattern().Match(text?.Trim() ?? "");
        if (!m.Success || text!.Trim().Length == 0)
            throw new PoseTrackException($"--segment must be a duration such as 30s, 10m, 1h or 1h30m (got '{text}')");
        double seconds = 0;
        var parts = m.Groups["part"].Captures;
        foreach (Capture c in parts)
        {
            var p = PartPattern().Match(c.Value);
            if (parts.Count > 1 && p.Groups["u"].Value.Length == 0)
                throw new PoseTrackException($"--segment must be a duration such as 30s, 10m, 1h or 1h30m (got '{text}'): give every part a unit");
            double n = double.Parse(p.Groups["n"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
            seconds += n * (p.Groups["u"].Value.ToLowerInvariant() switch { "h" => 3600, "m" => 60, _ => 1 });
        }
        if (!(seconds >= MinDuration.TotalSeconds) || seconds > TimeSpan.FromDays(7).TotalSeconds)
            throw new PoseTrackException($"--segment must be from 1 s to 7 days (got '{text}')");
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>A duration as the user would write it back: 30s, 10m, 1h30m.</summary>
    public static string FormatDuration(TimeSpan d) =>
        d.TotalSeconds < 60 ? d.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s"
        : (d.Hours + d.Days * 24 > 0 ? $"{d.Hours + d.Days * 24}h" : "") + (d.Minutes > 0 ? $"{d.Minutes}m" : "") + (d.Seconds > 0 ? $"{d.Seconds}s" : "");

    [GeneratedRegex(@"^(?<part>\d+(\.\d+)?[hmsHMS]?)+$")]
    private static partial Regex DurationPattern();
    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)(?<u>[hmsHMS]?)$")]
    private static partial Regex PartPattern();
}
