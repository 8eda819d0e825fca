using System.Globalization;
using System.Text;
using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>
/// Writes tracker output as a MOTChallenge file, one line per box: <c>frame,id,x,y,w,h,score,-1,-1,-1</c>
/// (invariant culture, shortest round-trip numbers). Output is flushed at the end of every frame, so a crash
/// loses at most the frame being written.
/// </summary>
internal sealed class MotWriter : IDisposable
{
    private readonly TextWriter _writer;
    private readonly FileStream? _file;   // set when writing to a path: cut back to the last whole frame on a failed write
    private readonly bool _leaveOpen;
    private int _frame = -1;      // frame of the rows not yet flushed; -1 = none
    private long _complete;       // bytes of whole frames in _file
    private bool _disposed, _failed;

    /// <summary>Creates (or overwrites) the file at <paramref name="path"/>; <see cref="PoseTrackException"/> if it cannot.</summary>
    public MotWriter(string path)
    {
        // Unbuffered file (locked for this writer alone): the StreamWriter's buffer is the only one, so a flush is
        // exactly one frame's writes.
        _file = Sinks.OutputFile.Create(path, "MOT output");
        _writer = new StreamWriter(_file, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" };
    }

    /// <summary>Writes to an open writer; it is disposed with this object unless <paramref name="leaveOpen"/>.</summary>
    public MotWriter(TextWriter writer, bool leaveOpen = false)
    {
        _writer = writer ?? throw new ArgumentNullException(nameof(writer));
        _leaveOpen = leaveOpen;
    }

    /// <summary>
    /// Writes one box. Starting a new frame number flushes the previous frame's rows first, so callers that forget
    /// <see cref="EndFrame"/> still lose at most one frame.
    /// </summary>
    /// <param name="frame1Based">MOTChallenge frame number: video frame index + 1.</param>
    /// <param name="id">Track id.</param>
    /// <param name="box">Box in pixels; coordinates must be finite and the size non-negative.</param>
    /// <param name="score">Detection or track score (finite).</param>
    public void Write(int frame1Based, int id, BoxF box, float score)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(frame1Based, 1);
        // A row the reader would reject must not reach the file: fail at the source instead.
        if (!float.IsFinite(box.X) || !float.IsFinite(box.Y) || !float.IsFinite(box.Width) || !float.IsFinite(box.Height)
            || box.Width < 0 || box.Height < 0)
            throw new ArgumentException($"box {box} is not finite with non-negative size", nameof(box));
        if (!float.IsFinite(score)) throw new ArgumentException($"score {score} is not finite", nameof(score));

        Guarded(() => WriteRow(frame1Based, id, box, score));
    }

    private void WriteRow(int frame1Based, int id, BoxF box, float score)
    {
        if (_frame != -1 && _frame != frame1Based) FlushFrame();
        _frame = frame1Based;

        var ic = CultureInfo.InvariantCulture;
        _writer.Write(frame1Based.ToString(ic));
        _writer.Write(',');
        _writer.Write(id.ToString(ic));
        _writer.Write(',');
        _writer.Write(box.X.ToString(ic));
        _writer.Write(',');
        _writer.Write(box.Y.ToString(ic));
        _writer.Write(',');
        _writer.Write(box.Width.ToString(ic));
        _writer.Write(',');
        _writer.Write(box.Height.ToString(ic));
        _writer.Write(',');
        _writer.Write(score.ToString(ic));
        _writer.WriteLine(",-1,-1,-1");
    }

    /// <summary>Marks the end of the current frame and flushes everything written so far.</summary>
    public void EndFrame()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Guarded(FlushFrame);
        _frame = -1;
    }

    private void FlushFrame()
    {
        _writer.Flush();
        if (_file is not null) _complete = _file.Position;
    }

    /// <summary>
    /// Runs a write; when the file system refuses it (disk full: IOException; file-size limit: EFBIG, which .NET
    /// throws as ArgumentOutOfRangeException) the file is cut back to its last whole frame and no more is written.
    /// </summary>
    private void Guarded(Action write)
    {
        if (_failed) throw new IOException("an earlier write to this file failed");
        try { write(); }
        catch (Exception e) when (_file is not null && e is IOException or ArgumentOutOfRangeException)
        {
            _failed = true;
            try { _file.SetLength(_complete); } catch (IOException) { /* a reader rejects only the cut last line */ }
            throw;
        }
    }

    /// <summary>Flushes and, unless constructed with leaveOpen, closes the underlying writer.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_failed)
        {
            // Not through the StreamWriter: it would try to write its unwritten rows again.
            _file!.Dispose();
            return;
        }
        try { _writer.Flush(); }
        finally { if (!_leaveOpen) _writer.Dispose(); }
    }
}
