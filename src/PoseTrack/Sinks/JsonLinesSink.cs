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
/// a segment of a segmented run adds <c>"segment":{"index":k,"start_ms":…,"start":ISO-8601,"duration_ms":…}</c>.
/// </para>
/// <para>
/// Frame lines carry no "type" (the only typed line is the header, so every other line is a frame; this keeps
/// the per-frame lines minimal): <c>{"frame":n,"time_ms":t,"persons":[{"track_id":id|null,"box":[x,y,w,h],
/// "score":s,"keypoints":[[x,y,score],…]}]}</c>. Coordinates keep 2 decimals, scores 3, time 3; an untracked
/// person (track id 0) has <c>"track_id":null</c>; a non-finite number is written as null.
/// </para>
/// <para>
/// Each line goes to the file in one unbuffered write ending in '\n', so when the process is killed every line
/// that ends in '\n' is complete; <see cref="JsonLinesReader"/> skips (and reports) an unterminated last line.
/// Data reaches the OS, not necessarily the disk: a power cut can still lose the last lines.
/// </para>
/// </summary>
public sealed class JsonLinesSink : IFrameSink, IGapSink
{
    private const string What = "JSON lines output";
    private readonly FileStream _stream;
    // Reused for every line: the writer is Reset onto the emptied buffer, so steady state allocates nothing.
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);
    private readonly Utf8JsonWriter _json;
    private bool _completed, _disposed, _failed;
    private long _length;   // bytes of complete lines in the file

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
        _stream = OutputFile.Create(path, What);
        _json = new Utf8JsonWriter(_buffer, JsonNumbers.WriterOptions);
        try
        {
            WriteHeader(header);
            EndLine();
        }
        catch
        {
            _json.Dispose();
            _stream.Dispose();
            throw;
        }
    }

    private void WriteHeader(JsonLinesHeader h)
    {
        var w = _json;
        w.WriteStartObject();
        w.WriteString("type", "header");
        w.WriteNumber("version", h.Version);
        w.WriteString("input", h.Input);
        w.WriteNumber("width", h.Width);
        w.WriteNumber("height", h.Height);
        w.WritePropertyName("fps");
        JsonNumbers.WriteRounded(w, h.Fps, 6);
        if (h.FrameCount is long n) w.WriteNumber("frame_count", n); else w.WriteNull("frame_count");
        if (h.VideoSize is { } video)
        {
            w.WriteNumber("video_width", video.Width);
            w.WriteNumber("video_height", video.Height);
        }
        w.WriteStartObject("models");
        w.WriteString("detector", h.DetectorModel);
        w.WriteString("pose", h.PoseModel);
        w.WriteEndObject();
        w.WriteString("skeleton", h.Skeleton.Name);
        w.WriteStartArray("keypoint_names");
        foreach (var name in h.Skeleton.JointNames) w.WriteStringValue(name);
        w.WriteEndArray();
        w.WriteStartArray("limbs");
        foreach (var (a, b) in h.Skeleton.Limbs)
        {
            w.WriteStartArray();
            w.WriteNumberValue(a);
            w.WriteNumberValue(b);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteString("created", h.Created.ToUniversalTime());
        if (h.Segment is { } seg)
        {
            w.WriteStartObject("segment");
            w.WriteNumber("index", seg.Index);
            w.WritePropertyName("start_ms");
            JsonNumbers.WriteRounded(w, seg.StartMs, 3);
            w.WriteString("start", seg.Start.ToUniversalTime());
            w.WritePropertyName("duration_ms");
            JsonNumbers.WriteRounded(w, seg.DurationMs, 3);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <inheritdoc />
    public void Write(FrameResult result, Mat? annotated)
    {
        ArgumentNullException.ThrowIfNull(result);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) throw new InvalidOperationException("The JSON lines sink is complete; no more frames can be written.");

        var w = _json;
        try
        {
            w.WriteStartObject();
            w.WriteNumber("frame", result.Index);
            w.WritePropertyName("time_ms");
            JsonNumbers.WriteRounded(w, result.TimeMs, 3);
            w.WriteStartArray("persons");
            var persons = result.Persons;
            for (int i = 0; i < persons.Count; i++) WritePerson(w, persons[i]); // indexed: no boxed enumerator per frame
            w.WriteEndArray();
            w.WriteEndObject();
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
        var w = _json;
        w.WriteStartObject();
        w.WriteString("type", "gap");
        w.WritePropertyName("from_ms");
        JsonNumbers.WriteRounded(w, gap.FromMs, 3);
        w.WritePropertyName("to_ms");
        JsonNumbers.WriteRounded(w, gap.ToMs, 3);
        w.WriteString("reason", Secrets.Redact(gap.Reason));
        w.WriteEndObject();
        EndLine();
    }

    private static void WritePerson(Utf8JsonWriter w, Person p)
    {
        const int c = JsonNumbers.CoordinateDecimals, s = JsonNumbers.ScoreDecimals;
        w.WriteStartObject();
        if (p.TrackId > 0) w.WriteNumber("track_id", p.TrackId); else w.WriteNull("track_id");
        w.WriteStartArray("box");
        JsonNumbers.WriteRounded(w, p.Box.X, c);
        JsonNumbers.WriteRounded(w, p.Box.Y, c);
        JsonNumbers.WriteRounded(w, p.Box.Width, c);
        JsonNumbers.WriteRounded(w, p.Box.Height, c);
        w.WriteEndArray();
        w.WritePropertyName("score");
        JsonNumbers.WriteRounded(w, p.Score, s);
        w.WriteStartArray("keypoints");
        foreach (var k in p.Keypoints)
        {
            w.WriteStartArray();
            JsonNumbers.WriteRounded(w, k.X, c);
            JsonNumbers.WriteRounded(w, k.Y, c);
            JsonNumbers.WriteRounded(w, k.Score, s);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Terminates the buffered object with '\n' and hands the whole line to the OS in one write.</summary>
    private void EndLine()
    {
        _json.Flush();
        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
        try
        {
            if (_failed) throw new IOException("an earlier write failed");
            _stream.Write(_buffer.WrittenSpan);
            _stream.Flush();
            _length += _buffer.WrittenCount;
        }
        catch (Exception e) when (OutputFile.IsWriteFailure(e))
        {
            // A write the disk refused may have landed in part: cut the file back to its last complete line, so
            // the file stays a valid JSON lines file of the frames before (shrinking needs no free space).
            _failed = true;
            try { _stream.SetLength(_length); } catch (IOException) { /* the reader still skips a cut last line */ }
            throw OutputFile.WriteFailed(Path, What, e);
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
        try { _stream.Flush(); }
        catch (Exception e) when (OutputFile.IsWriteFailure(e)) { throw OutputFile.WriteFailed(Path, What, e); }
        finally { _stream.Dispose(); }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _json.Dispose();
        _stream.Dispose();
    }
}
