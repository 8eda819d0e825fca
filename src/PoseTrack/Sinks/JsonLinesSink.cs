using System.Buffers;
using System.Text.Json;
using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>
/// Writes results as JSON lines (<c>--json FILE</c>): one header line, then one line per frame.
/// <para>
/// Header: <c>{"type":"header","version":1,"input":…,"width":…,"height":…,"fps":…,"frame_count":…|null,
/// "models":{"detector":…,"pose":…},"skeleton":"coco17","keypoint_names":[…],"limbs":[[a,b],…],"created":ISO-8601}</c>;
/// a segment of a segmented run adds <c>"segment":{"index":k,"start_ms":…,"start":ISO-8601,"duration_ms":…}</c>; a
/// run of the CLI adds <c>"tool_version"</c>, <c>"provider"</c> and <c>"settings":{…}</c>, every option that changes
/// the results (<see cref="SettingsJson"/>).
/// </para>
/// <para>
/// Frame lines carry no "type" (every typed line — the header, a live source's <c>"gap"</c>, the closing
/// <c>"summary"</c> — is a record, every other line a frame; this keeps the per-frame lines minimal): <c>{"frame":n,"time_ms":t,"persons":[{"track_id":id|null,"box":[x,y,w,h],
/// "score":s,"keypoints":[[x,y,score],…]}]}</c> (the person schema of <see cref="PoseJson"/>). Coordinates keep 2
/// decimals, scores 3, time 3; an untracked person (track id 0) has <c>"track_id":null</c>; a non-finite number is
/// written as null. Every line is serialised from DTOs by the shared source-generated context.
/// </para>
/// <para>
/// A run that ends normally (the input's end, <c>--max-frames</c>, or a drained Ctrl+C/SIGTERM) closes the log with
/// <c>{"type":"summary",…}</c> (<see cref="WriteSummary"/>); a killed or failed run has none, so readers treat it as optional.
/// </para>
/// <para>
/// Each line goes to the file in one unbuffered write ending in '\n', so when the process is killed every line
/// that ends in '\n' is complete; <see cref="JsonLinesReader"/> skips (and reports) an unterminated last line.
/// Data reaches the OS, not necessarily the disk: a power cut can still lose the last lines.
/// </para>
/// </summary>
public sealed class JsonLinesSink : IFrameSink, IGapSink, ISummarySink
{
    private const string What = "JSON lines output";
    private readonly AppendOnlyFile _file;
    // Reused for every line: the writer is Reset onto the emptied buffer after each line.
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);
    private readonly Utf8JsonWriter _json;
    private bool _completed, _disposed;

    /// <summary>The output path as given.</summary>
    public string Path { get; }

    /// <summary>The header written as the first line.</summary>
    public JsonLinesHeader Header { get; }

    /// <inheritdoc />
    public bool NeedsImage => false;

    /// <summary>
    /// Creates (or overwrites) <paramref name="path"/> and writes the header line. Throws
    /// <see cref="PoseTrackException"/> naming the path when the file cannot be created.
    /// </summary>
    public JsonLinesSink(string path, JsonLinesHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        Path = path;
        Header = header;
        _file = new AppendOnlyFile(path, What);
        _json = new Utf8JsonWriter(_buffer, JsonNumbers.WriterOptions);
        try
        {
            WriteHeader(header);
            EndLine();
        }
        catch
        {
            _json.Dispose();
            _file.Dispose();
            throw;
        }
    }

    private void WriteHeader(JsonLinesHeader h)
    {
        var json = new JsonLinesHeaderJson("header", h.Version, h.Input, h.Width, h.Height, JsonNumbers.Round(h.Fps, 6), h.FrameCount,
            h.VideoSize?.Width, h.VideoSize?.Height, new ModelsJson(h.DetectorModel, h.PoseModel), h.Skeleton.Name, h.Skeleton.JointNames,
            [.. h.Skeleton.Limbs.Select(l => new[] { l.A, l.B })], h.Created.ToUniversalTime(),
            h.Segment is { } seg ? new SegmentJson(seg.Index, JsonNumbers.Round(seg.StartMs, 3), seg.Start.ToUniversalTime(), JsonNumbers.Round(seg.DurationMs, 3)) : null,
            h.ToolVersion, h.Provider, h.Settings);
        PoseJson.Write(_json, json, PoseJsonContext.Default.JsonLinesHeaderJson);
    }

    /// <inheritdoc />
    public void Write(FrameResult result, Mat? annotated)
    {
        ArgumentNullException.ThrowIfNull(result);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) throw new InvalidOperationException("The JSON lines sink is complete; no more frames can be written.");

        try
        {
            var persons = new PersonJson[result.Persons.Count];
            for (int i = 0; i < persons.Length; i++) persons[i] = PoseJson.Person(result.Persons[i]);
            PoseJson.Write(_json, new FrameJson(result.Index, JsonNumbers.Round(result.TimeMs, 3), persons), PoseJsonContext.Default.FrameJson);
        }
        catch
        {
            // Leave the writer usable for the next frame.
            _buffer.ResetWrittenCount();
            _json.Reset(_buffer);
            throw;
        }
        EndLine();
    }

    /// <summary>
    /// Writes <c>{"type":"gap","from_ms":…,"to_ms":…,"reason":"…"}</c>: a live source delivered nothing between the
    /// frames at those times (it was reconnected); the reason has its credentials hidden.
    /// </summary>
    public void WriteGap(Sources.SourceGap gap)
    {
        ArgumentNullException.ThrowIfNull(gap);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) throw new InvalidOperationException("The JSON lines sink is complete; no more records can be written.");
        PoseJson.Write(_json, new GapJson("gap", JsonNumbers.Round(gap.FromMs, 3), JsonNumbers.Round(gap.ToMs, 3), Secrets.Redact(gap.Reason)),
            PoseJsonContext.Default.GapJson);
        EndLine();
    }

    /// <summary>
    /// Writes the closing <c>{"type":"summary","frames":n,"seconds":s,"fps":f,"dropped":d,"tracks":t,"stopped":b}</c>
    /// (seconds 3 decimals, fps 2): the last line of a run that ended normally (see <see cref="ISummarySink"/>).
    /// </summary>
    public void WriteSummary(RunTotals totals)
    {
        ArgumentNullException.ThrowIfNull(totals);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) throw new InvalidOperationException("The JSON lines sink is complete; no more records can be written.");
        PoseJson.Write(_json, new SummaryJson("summary", totals.Frames, JsonNumbers.Round(totals.Seconds, 3), JsonNumbers.Round(totals.Fps, 2),
            totals.Dropped, totals.Tracks, totals.Stopped), PoseJsonContext.Default.SummaryJson);
        EndLine();
    }

    /// <summary>Terminates the buffered object with '\n' and hands the whole line to the OS in one write.</summary>
    private void EndLine()
    {
        _json.Flush();
        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
        try
        {
            _file.Append(_buffer.WrittenSpan);
        }
        finally
        {
            _buffer.ResetWrittenCount();
            _json.Reset(_buffer);
        }
    }

    /// <summary>Flushes and closes the file; later calls do nothing.</summary>
    public void Complete()
    {
        if (_completed || _disposed) return;
        _completed = true;
        _file.Complete();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _json.Dispose();
        _file.Dispose();
    }
}
