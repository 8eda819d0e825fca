using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>
/// Writes results as one PoseTrack18-style JSON document (<c>--posetrack FILE</c>):
/// <c>{"categories":[{"supercategory":"person","id":1,"name":"person","keypoints":[…],"skeleton":[[a,b],…]}],
/// "images":[{"id":n,"frame_id":n,"file_name":"SEQ/000042.jpg","is_labeled":true},…],
/// "annotations":[{"image_id":n,"track_id":id,"category_id":1,"bbox":[x,y,w,h],"keypoints":[x,y,s,…],
/// "scores":[s,…],"score":s},…]}</c>.
/// Image ids and frame ids are the 0-based frame index; skeleton indices are 1-based as in COCO; an untracked
/// person has track id -1 (PoseTrack tools expect an integer).
/// <para>
/// The file is a valid JSON document after every frame, so a killed run loses at most the frame in flight.
/// The document has two growing arrays, so appending before a fixed-length tail (which works for one array) is
/// not enough. Layout on disk while running:
/// <c>{"categories":[…],"images":[ IMAGES GAP ],"annotations":[ ANNOTATIONS ]}</c>, where GAP is spaces
/// (whitespace is legal between JSON tokens) reserved for future image entries: sized for the source's frame
/// count when known, 64 KiB otherwise. Each frame (1) writes its annotations over the fixed tail <c>"\n]}\n"</c>
/// and rewrites the tail after them, in one write, then (2) writes its image entry over the start of the gap.
/// Both writes turn a valid document into a valid document; because the image goes last, an image entry present
/// means its annotations are complete. When the gap runs out the file is rebuilt with a gap twice the size of the
/// image entries in a temporary file beside it, which is then renamed over the original (atomic: a crash leaves
/// the old file, and maybe a stale ".tmp"); doubling keeps the copying linear in the file size overall.
/// <see cref="Complete"/> rebuilds the file once more without the gap.
/// </para>
/// </summary>
public sealed class PoseTrackJsonSink : IFrameSink
{
    private const string What = "PoseTrack JSON output";
    private const int MinGap = 64 * 1024;
    private const long MaxInitialGap = 64L * 1024 * 1024;
    private static ReadOnlySpan<byte> Tail => "\n]}\n"u8;
    private static ReadOnlySpan<byte> Middle => "],\n\"annotations\":["u8;

    private readonly string _fullPath;
    private readonly string _sequenceName;
    private readonly Skeleton _skeleton;
    private SafeFileHandle _file;
    // Positions in the file: image entries end at _imagesEnd, the gap runs to _gapEnd (where Middle starts),
    // annotations end at _annotationsEnd (where Tail starts).
    private long _imagesStart, _imagesEnd, _gapEnd, _annotationsEnd;
    private bool _anyImage, _anyAnnotation, _completed, _disposed, _failed;

    // Reused for every frame so steady state allocates nothing.
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);
    private readonly Utf8JsonWriter _json;
    private readonly char[] _fileName;
    private readonly byte[] _copyBuffer = new byte[256 * 1024];

    /// <summary>The output path as given.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public bool NeedsImage => false;

    /// <summary>
    /// Creates (or overwrites) <paramref name="path"/> with an empty document. Throws <see cref="PoseTrackException"/>
    /// naming the path when it cannot be created.
    /// </summary>
    /// <param name="path">Output file.</param>
    /// <param name="skeleton">Keypoint layout, written as the category.</param>
    /// <param name="sequenceName">Folder part of each image's file_name (e.g. the input's file name without extension).</param>
    /// <param name="expectedFrames">The source's frame count when known: reserves exactly the room its image entries need.</param>
    public PoseTrackJsonSink(string path, Skeleton skeleton, string sequenceName, long? expectedFrames = null)
    {
        ArgumentNullException.ThrowIfNull(skeleton);
        ArgumentNullException.ThrowIfNull(sequenceName);
        Path = path;
        _skeleton = skeleton;
        _sequenceName = sequenceName;
        _fileName = new char[sequenceName.Length + 32];
        _fullPath = OutputFile.CheckWritablePath(path, What);
        _json = new Utf8JsonWriter(_buffer, JsonNumbers.WriterOptions);
        // Opened without truncating, locked, then emptied: another run writing this file is never touched.
        _file = OutputFile.Guard(path, What, () => File.OpenHandle(_fullPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read));
        try
        {
            OutputFile.LockOrThrow(_file, path, What);
            OutputFile.Guard(path, What, () => { RandomAccess.SetLength(_file, 0); return 0; });
            WriteEmptyDocument(expectedFrames);
        }
        catch { _file.Dispose(); _json.Dispose(); throw; }
    }

    private void WriteEmptyDocument(long? expectedFrames)
    {
        // Utf8JsonWriter.Flush emits what has been written even inside an open object, which gives the head
        // '{"categories":[…]'; the rest of the skeleton is fixed text.
        var w = _json;
        w.WriteStartObject();
        w.WriteStartArray("categories");
        w.WriteStartObject();
        w.WriteString("supercategory", "person");
        w.WriteNumber("id", 1);
        w.WriteString("name", "person");
        w.WriteStartArray("keypoints");
        foreach (var n in _skeleton.JointNames) w.WriteStringValue(n);
        w.WriteEndArray();
        w.WriteStartArray("skeleton");
        foreach (var (a, b) in _skeleton.Limbs)
        {
            w.WriteStartArray();
            w.WriteNumberValue(a + 1);
            w.WriteNumberValue(b + 1);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.Flush();
        Append(_buffer, ",\n\"images\":["u8);
        Put(_buffer.WrittenSpan, 0);
        _imagesStart = _imagesEnd = _buffer.WrittenCount;

        long gap = MinGap;
        if (expectedFrames is long count && count > 0)
        {
            // Entries grow with the digits of the index, so the last one is the longest; +1 for the ",\n"
            // separator the first entry lacks. Capped: a longer run rebuilds like an open-ended one.
            gap = Math.Clamp(count * (ImageEntry(count - 1) + 1), MinGap / 16, MaxInitialGap);
        }
        ResetJson();
        WriteSpaces(_file, _imagesEnd, gap);
        _gapEnd = _imagesEnd + gap;
        Append(_buffer, Middle);
        Append(_buffer, Tail);
        Put(_buffer.WrittenSpan, _gapEnd);
        _annotationsEnd = _gapEnd + Middle.Length;
        ResetJson();
    }

    /// <inheritdoc />
    public void Write(FrameResult result, Mat? annotated)
    {
        ArgumentNullException.ThrowIfNull(result);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) throw new InvalidOperationException("The PoseTrack JSON sink is complete; no more frames can be written.");
        try
        {
            if (_failed) throw new IOException("an earlier write to this file failed");
            var persons = result.Persons;
            if (persons.Count > 0)
            {
                for (int i = 0; i < persons.Count; i++) // indexed: no boxed enumerator per frame
                {
                    Append(_buffer, _anyAnnotation || i > 0 ? ",\n"u8 : "\n"u8);
                    WriteAnnotation(result.Index, persons[i]);
                }
                int len = _buffer.WrittenCount;
                Append(_buffer, Tail);
                Put(_buffer.WrittenSpan, _annotationsEnd);
                _annotationsEnd += len;
                _anyAnnotation = true; // only once on disk: a failed write must not leave a leading comma next time
                ResetJson();
            }

            int entryLen = ImageEntry(result.Index);
            if (_imagesEnd + entryLen > _gapEnd)
                Rebuild(Math.Max(MinGap, 2 * (_imagesEnd - _imagesStart + entryLen)), reopen: true); // leaves the buffer alone
            Put(_buffer.WrittenSpan, _imagesEnd);
            _imagesEnd += entryLen;
            _anyImage = true;
            ResetJson();
        }
        catch (Exception e) when (OutputFile.IsWriteFailure(e))
        {
            Restore();
            throw OutputFile.WriteFailed(Path, What, e);
        }
        finally { ResetJson(); }
    }

    /// <summary>
    /// After a refused write (disk full, file-size limit): puts the tail back where the last whole frame's
    /// annotations end and cuts what a partial write left after it, so the file is again the valid document of the
    /// frames before (neither needs free space: the tail's bytes are already allocated, cutting frees space); a
    /// half-written rebuild copy is removed.
    /// </summary>
    private void Restore()
    {
        _failed = true;
        try
        {
            if (!_file.IsClosed)
            {
                RandomAccess.Write(_file, Tail, _annotationsEnd);
                RandomAccess.SetLength(_file, _annotationsEnd + Tail.Length);
            }
        }
        catch (Exception e) when (OutputFile.IsWriteFailure(e)) { /* nothing more can be done */ }
        DeleteTemporary();
    }

    private void DeleteTemporary()
    {
        try { File.Delete(_fullPath + ".tmp"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* a stale .tmp is harmless */ }
    }

    /// <summary>Renders the image entry of frame <paramref name="index"/> (with its separator) into the buffer; returns its length.</summary>
    private int ImageEntry(long index)
    {
        ResetJson();
        Append(_buffer, _anyImage ? ",\n"u8 : "\n"u8);
        var w = _json;
        w.WriteStartObject();
        w.WriteNumber("id", index);
        w.WriteNumber("frame_id", index);
        // "SEQ/000042.jpg" without a string per frame.
        _sequenceName.CopyTo(_fileName);
        int n = _sequenceName.Length;
        _fileName[n++] = '/';
        index.TryFormat(_fileName.AsSpan(n), out int digits, "D6", CultureInfo.InvariantCulture);
        n += digits;
        ".jpg".CopyTo(_fileName.AsSpan(n));
        n += 4;
        w.WriteString("file_name", _fileName.AsSpan(0, n));
        w.WriteBoolean("is_labeled", true);
        w.WriteEndObject();
        w.Flush();
        return _buffer.WrittenCount;
    }

    private void WriteAnnotation(long imageId, Person p)
    {
        const int c = JsonNumbers.CoordinateDecimals, s = JsonNumbers.ScoreDecimals;
        var w = _json;
        w.WriteStartObject();
        w.WriteNumber("image_id", imageId);
        w.WriteNumber("track_id", p.TrackId > 0 ? p.TrackId : -1);
        w.WriteNumber("category_id", 1);
        w.WriteStartArray("bbox");
        JsonNumbers.WriteRounded(w, p.Box.X, c);
        JsonNumbers.WriteRounded(w, p.Box.Y, c);
        JsonNumbers.WriteRounded(w, p.Box.Width, c);
        JsonNumbers.WriteRounded(w, p.Box.Height, c);
        w.WriteEndArray();
        w.WriteStartArray("keypoints");
        foreach (var k in p.Keypoints)
        {
            JsonNumbers.WriteRounded(w, k.X, c);
            JsonNumbers.WriteRounded(w, k.Y, c);
            JsonNumbers.WriteRounded(w, k.Score, s);
        }
        w.WriteEndArray();
        w.WriteStartArray("scores");
        foreach (var k in p.Keypoints) JsonNumbers.WriteRounded(w, k.Score, s);
        w.WriteEndArray();
        w.WritePropertyName("score");
        JsonNumbers.WriteRounded(w, p.Score, s);
        w.WriteEndObject();
        // Flush before the caller appends raw bytes after this object, and reset so the next object starts a
        // fresh document (the writer refuses a second top-level value).
        w.Flush();
        w.Reset(_buffer);
    }

    /// <summary>
    /// Copies the file into "PATH.tmp" with the gap resized to <paramref name="gap"/> bytes, then renames it over
    /// the original. Readers of the old file are unaffected; a crash leaves either file complete.
    /// </summary>
    private void Rebuild(long gap, bool reopen)
    {
        var tmp = _fullPath + ".tmp";
        long end = _annotationsEnd + Tail.Length;
        long newGapEnd = _imagesEnd + gap;
        using (var t = File.OpenHandle(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            Copy(_file, 0, t, 0, _imagesEnd);
            WriteSpaces(t, _imagesEnd, gap);
            Copy(_file, _gapEnd, t, newGapEnd, end - _gapEnd);
        }
        // Closed before the rename so this also works where open files cannot be replaced (Windows).
        _file.Dispose();
        File.Move(tmp, _fullPath, overwrite: true);
        if (reopen) _file = File.OpenHandle(_fullPath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        _annotationsEnd = newGapEnd + (_annotationsEnd - _gapEnd);
        _gapEnd = newGapEnd;
    }

    private void Copy(SafeFileHandle from, long fromOffset, SafeFileHandle to, long toOffset, long count)
    {
        while (count > 0)
        {
            int n = RandomAccess.Read(from, _copyBuffer.AsSpan(0, (int)Math.Min(count, _copyBuffer.Length)), fromOffset);
            if (n <= 0) throw new IOException($"'{Path}' is shorter than expected (changed by another program?).");
            RandomAccess.Write(to, _copyBuffer.AsSpan(0, n), toOffset);
            fromOffset += n; toOffset += n; count -= n;
        }
    }

    private void WriteSpaces(SafeFileHandle file, long offset, long count)
    {
        var spaces = _copyBuffer.AsSpan(0, (int)Math.Min(count, _copyBuffer.Length));
        spaces.Fill((byte)' ');
        while (count > 0)
        {
            int n = (int)Math.Min(count, spaces.Length);
            RandomAccess.Write(file, spaces[..n], offset);
            offset += n; count -= n;
        }
    }

    private void Put(ReadOnlySpan<byte> bytes, long offset) => RandomAccess.Write(_file, bytes, offset);

    private void ResetJson()
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
    }

    private static void Append(ArrayBufferWriter<byte> b, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(b.GetSpan(bytes.Length));
        b.Advance(bytes.Length);
    }

    /// <summary>Rewrites the file without the reserved gap and closes it; later calls do nothing.</summary>
    public void Complete()
    {
        if (_completed || _disposed) return;
        _completed = true;
        try { Rebuild(0, reopen: false); }
        catch (Exception e) when (OutputFile.IsWriteFailure(e))
        {
            // The file keeps its reserved gap (whitespace): still a valid document of every frame written.
            DeleteTemporary();
            // After a failed write the error was reported already; only removing the gap did not work.
            if (!_failed) throw OutputFile.WriteFailed(Path, What, e);
        }
        finally { _file.Dispose(); }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _file.Dispose();
        _json.Dispose();
    }
}
