namespace PoseTrack.Sinks;

/// <summary>
/// The crash-safe file under the line-based outputs (JSON lines, CSV): created and locked for one writer, each
/// record handed to the OS in one unbuffered write, so a killed process leaves whole records (and at most one cut
/// last one). A write the disk refuses may land in part: the file is cut back to its last whole record (shrinking
/// needs no free space) and every later write fails too.
/// </summary>
internal sealed class AppendOnlyFile : IDisposable
{
    private readonly FileStream _stream;
    private readonly string _path, _what;
    private long _length;   // bytes of whole records in the file
    private bool _failed, _closed;

    /// <summary>Creates (or overwrites) <paramref name="path"/> through <see cref="OutputFile.Create"/>; <paramref name="what"/> names it in errors.</summary>
    public AppendOnlyFile(string path, string what)
    {
        _path = path;
        _what = what;
        _stream = OutputFile.Create(path, what);
    }

    /// <summary>Appends one whole record; throws <see cref="Core.PoseTrackException"/> naming the file when the write is refused.</summary>
    public void Append(ReadOnlySpan<byte> record)
    {
        try
        {
            if (_failed) throw new IOException("an earlier write failed");
            _stream.Write(record);
            _stream.Flush();
            _length += record.Length;
        }
        catch (Exception e) when (OutputFile.IsWriteFailure(e))
        {
            _failed = true;
            try { _stream.SetLength(_length); } catch (IOException) { /* a reader still skips a cut last record */ }
            throw OutputFile.WriteFailed(_path, _what, e);
        }
    }

    /// <summary>Flushes and closes the file; later calls do nothing.</summary>
    public void Complete()
    {
        if (_closed) return;
        _closed = true;
        try { _stream.Flush(); }
        catch (Exception e) when (OutputFile.IsWriteFailure(e)) { throw OutputFile.WriteFailed(_path, _what, e); }
        finally { _stream.Dispose(); }
    }

    public void Dispose()
    {
        _closed = true;
        _stream.Dispose();
    }
}
