using System.Text;
using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>
/// <c>--csv FILE</c>: one row per person per frame (<see cref="CsvWriter"/>), after a header row. Like the JSON lines,
/// each frame's rows reach the file in one unbuffered write, so when the process is killed the file holds whole
/// frames (and at most one cut last row); a write the disk refuses is cut back to the last whole frame.
/// </summary>
internal sealed class CsvFileSink : IFrameSink
{
    private const string What = "CSV output";
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly AppendOnlyFile _file;
    private readonly CsvWriter _csv;
    private bool _completed, _disposed;

    /// <summary>The output path as given.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public bool NeedsImage => false;

    /// <summary>Creates (or overwrites) <paramref name="path"/>, locked for this writer, and writes the header row.</summary>
    public CsvFileSink(string path, Skeleton skeleton)
    {
        _csv = new CsvWriter(skeleton);
        Path = path;
        _file = new AppendOnlyFile(path, What);
        try { Append(_csv.HeaderRow); }
        catch { _file.Dispose(); throw; }
    }

    /// <inheritdoc />
    public void Write(FrameResult result, Mat? annotated)
    {
        ArgumentNullException.ThrowIfNull(result);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) throw new InvalidOperationException("The CSV sink is complete; no more frames can be written.");
        if (result.Persons.Count == 0) return;
        Append(_csv.FrameRows(result.Index, JsonNumbers.Round(result.TimeMs, 3), result.Persons.Select(p => PoseJson.Person(p))));
    }

    /// <summary>Writes one frame of a finished JSON lines log (<c>posetrack export</c>): the same rows the live run wrote.</summary>
    public void Write(JsonLinesFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) throw new InvalidOperationException("The CSV sink is complete; no more frames can be written.");
        if (frame.Persons.Count == 0) return;
        Append(_csv.FrameRows(frame.Frame, JsonNumbers.Round(frame.TimeMs, 3), frame.Persons.Select(CsvWriter.Person)));
    }

    private void Append(string text) => _file.Append(Utf8.GetBytes(text));

    /// <inheritdoc />
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
        _file.Dispose();
    }
}
