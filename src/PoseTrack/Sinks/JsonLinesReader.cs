using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>
/// Reads a file written by <see cref="JsonLinesSink"/>: the header on opening, then frames one by one. The file may
/// still be growing (it is opened shared) or may be the remains of a killed run: a last line without its '\n'
/// that does not parse is skipped and reported through <see cref="SkippedPartialLine"/>. Any other bad line is an
/// error. Not thread-safe.
/// </summary>
public sealed class JsonLinesReader : IDisposable
{
    private readonly FileStream _stream;
    private byte[] _buf = new byte[64 * 1024];
    private int _start, _end;
    private bool _eof;
    private long _lineNumber;

    /// <summary>The file path as given.</summary>
    public string Path { get; }

    /// <summary>The header line.</summary>
    public JsonLinesHeader Header { get; }

    /// <summary>True once reading reached an incomplete last line and skipped it.</summary>
    public bool SkippedPartialLine { get; private set; }

    private JsonLinesReader(string path, FileStream stream)
    {
        Path = path;
        _stream = stream;
        Header = ReadHeader();
    }

    /// <summary>
    /// Opens <paramref name="path"/> and reads its header. Throws <see cref="PoseTrackException"/> when the file is
    /// missing, unreadable, or does not start with a complete header line.
    /// </summary>
    public static JsonLinesReader Open(string path)
    {
        FileStream stream;
        try { stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new PoseTrackException($"Cannot read JSON lines file '{path}': {e.Message.ReplaceLineEndings(" ")}", inner: e); }
        try { return new JsonLinesReader(path, stream); }
        catch { stream.Dispose(); throw; }
    }

    /// <summary>Reads the whole file: header, every complete frame, and whether a partial last line was skipped.</summary>
    public static JsonLinesContent ReadAll(string path)
    {
        using var reader = Open(path);
        var frames = new List<JsonLinesFrame>();
        while (reader.TryReadFrame(out var f)) frames.Add(f);
        return new JsonLinesContent(reader.Header, frames, reader.SkippedPartialLine) { Summary = reader.Summary };
    }

    /// <summary>Reads the next frame line; false at the end of the file (or at a skipped partial last line).</summary>
    public bool TryReadFrame([NotNullWhen(true)] out JsonLinesFrame? frame)
    {
        frame = null;
        while (NextLine(out var line, out bool terminated))
        {
            if (IsBlank(line.Span)) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException) when (!terminated)
            {
                SkippedPartialLine = true;
                return false;
            }
            catch (JsonException e) { throw Bad($"line {_lineNumber} is not valid JSON ({e.Message})", e); }
            using (doc)
            {
                // Records other than frames carry a "type" (a live source's "gap"): kept aside, not frames.
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("type", out var type)
                    && type.ValueKind == JsonValueKind.String)
                {
                    if (type.GetString() == "gap") ReadGap(doc.RootElement);
                    else if (type.GetString() == "summary") ReadSummary(doc.RootElement);
                    continue;
                }
                try { frame = ParseFrame(doc.RootElement); }
                catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException or IndexOutOfRangeException)
                { throw Bad($"line {_lineNumber} is not a frame ({e.Message})", e); }
            }
            return true;
        }
        return false;
    }

    /// <summary>The gap records read so far (<c>{"type":"gap",…}</c>: a live source was reconnected between two frames).</summary>
    public IReadOnlyList<Sources.SourceGap> Gaps => _gaps;

    private readonly List<Sources.SourceGap> _gaps = [];

    /// <summary>
    /// The closing summary (<c>{"type":"summary",…}</c>) once reading has reached it; null before, and for the log of a
    /// run that was killed or failed (which has none). Known only after the last frame has been read.
    /// </summary>
    public RunTotals? Summary { get; private set; }

    private void ReadSummary(JsonElement r)
    {
        try
        {
            Summary = new RunTotals(r.GetProperty("frames").GetInt64(), JsonNumbers.ReadNumber(r.GetProperty("seconds")),
                r.GetProperty("dropped").GetInt64(), r.GetProperty("tracks").GetInt32(), r.GetProperty("stopped").GetBoolean())
            { Fps = JsonNumbers.ReadNumber(r.GetProperty("fps")) };
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException)
        {
            // A malformed summary is not a frame either: it is skipped (the summary is optional).
        }
    }

    private void ReadGap(JsonElement r)
    {
        try
        {
            _gaps.Add(new Sources.SourceGap(JsonNumbers.ReadNumber(r.GetProperty("from_ms")), JsonNumbers.ReadNumber(r.GetProperty("to_ms")),
                Secrets.Redact(r.TryGetProperty("reason", out var why) && why.ValueKind == JsonValueKind.String ? why.GetString()! : "")));
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException)
        {
            // A malformed gap record is not a frame either: it is skipped.
        }
    }

    private JsonLinesHeader ReadHeader()
    {
        while (NextLine(out var line, out bool terminated))
        {
            if (IsBlank(line.Span)) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e)
            {
                if (!terminated) { SkippedPartialLine = true; break; }
                throw Bad("the first line is not valid JSON", e);
            }
            using (doc)
            {
                var r = doc.RootElement;
                if (r.ValueKind != JsonValueKind.Object || !r.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String
                    || t.GetString() != "header")
                    throw Bad("the first line is not a header (no \"type\":\"header\")");
                try { return ParseHeader(r); }
                catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException)
                { throw Bad($"the header is malformed ({e.Message})", e); }
            }
        }
        throw Bad(SkippedPartialLine ? "the header line is incomplete" : "the file is empty");
    }

    private JsonLinesHeader ParseHeader(JsonElement r)
    {
        int version = r.GetProperty("version").GetInt32();
        if (version > JsonLinesHeader.CurrentVersion)
            throw Bad($"format version {version} is newer than this program reads ({JsonLinesHeader.CurrentVersion})");
        var skeletonName = r.GetProperty("skeleton").GetString() ?? "";
        var skeleton = Skeleton.ByName(skeletonName) ?? throw Bad($"unknown skeleton '{skeletonName}'");
        var models = r.GetProperty("models");
        var fc = r.GetProperty("frame_count");
        return new JsonLinesHeader(
            Secrets.Redact(r.GetProperty("input").GetString() ?? ""),   // a log from elsewhere may hold one
            r.GetProperty("width").GetInt32(),
            r.GetProperty("height").GetInt32(),
            JsonNumbers.ReadNumber(r.GetProperty("fps")),
            fc.ValueKind == JsonValueKind.Null ? null : fc.GetInt64(),
            models.GetProperty("detector").GetString(),
            models.GetProperty("pose").GetString(),
            skeleton,
            r.GetProperty("created").GetDateTimeOffset())
        {
            Version = version,
            ToolVersion = r.TryGetProperty("tool_version", out var tv) && tv.ValueKind == JsonValueKind.String ? tv.GetString() : null,
            Provider = r.TryGetProperty("provider", out var pv) && pv.ValueKind == JsonValueKind.String ? pv.GetString() : null,
            VideoSize = r.TryGetProperty("video_width", out var vw) && r.TryGetProperty("video_height", out var vh) ? (vw.GetInt32(), vh.GetInt32()) : null,
            Segment = r.TryGetProperty("segment", out var sg) && sg.ValueKind == JsonValueKind.Object
                ? new JsonLinesSegment(sg.GetProperty("index").GetInt32(), JsonNumbers.ReadNumber(sg.GetProperty("start_ms")),
                    sg.GetProperty("start").GetDateTimeOffset(), JsonNumbers.ReadNumber(sg.GetProperty("duration_ms")))
                : null,
        };
    }

    private static JsonLinesFrame ParseFrame(JsonElement r)
    {
        var personsEl = r.GetProperty("persons");
        var persons = new JsonLinesPerson[personsEl.GetArrayLength()];
        int i = 0;
        foreach (var p in personsEl.EnumerateArray())
        {
            var tid = p.GetProperty("track_id");
            var box = p.GetProperty("box");
            var kpsEl = p.GetProperty("keypoints");
            var kps = new Keypoint[kpsEl.GetArrayLength()];
            int j = 0;
            foreach (var k in kpsEl.EnumerateArray())
                kps[j++] = new Keypoint(F(k[0]), F(k[1]), F(k[2]));
            persons[i++] = new JsonLinesPerson(
                tid.ValueKind == JsonValueKind.Null ? null : tid.GetInt32(),
                new BoxF(F(box[0]), F(box[1]), F(box[2]), F(box[3])),
                F(p.GetProperty("score")),
                kps);
        }
        return new JsonLinesFrame(r.GetProperty("frame").GetInt64(), JsonNumbers.ReadNumber(r.GetProperty("time_ms")), persons);

        static float F(JsonElement e) => (float)JsonNumbers.ReadNumber(e);
    }

    /// <summary>
    /// The next line without its '\n'. <paramref name="terminated"/> is false for a last line that has no '\n',
    /// which is how a line cut off by a killed writer looks. The memory is valid until the next call.
    /// </summary>
    private bool NextLine(out ReadOnlyMemory<byte> line, out bool terminated)
    {
        int scanFrom = _start;
        while (true)
        {
            int nl = Array.IndexOf(_buf, (byte)'\n', scanFrom, _end - scanFrom);
            if (nl >= 0)
            {
                line = _buf.AsMemory(_start, nl - _start);
                _start = nl + 1;
                terminated = true;
                _lineNumber++;
                return true;
            }
            if (_eof)
            {
                terminated = false;
                if (_end > _start)
                {
                    line = _buf.AsMemory(_start, _end - _start);
                    _start = _end;
                    _lineNumber++;
                    return true;
                }
                line = default;
                return false;
            }
            scanFrom = _end - _start; // already scanned, after the compaction below
            if (_start > 0)
            {
                Buffer.BlockCopy(_buf, _start, _buf, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buf.Length) Array.Resize(ref _buf, _buf.Length * 2); // a line longer than the buffer
            int n;
            try { n = _stream.Read(_buf, _end, _buf.Length - _end); }
            catch (IOException e) { throw Bad($"read failed ({e.Message.ReplaceLineEndings(" ")})", e); }
            if (n == 0) _eof = true; else _end += n;
        }
    }

    private static bool IsBlank(ReadOnlySpan<byte> s) => s.IndexOfAnyExcept(" \t\r"u8) < 0;

    private PoseTrackException Bad(string why, Exception? inner = null)
        => new($"JSON lines file '{Path}': {why}.", inner: inner);

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();
}
