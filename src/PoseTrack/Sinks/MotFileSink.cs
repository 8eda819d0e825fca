using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>
/// <c>--mot FILE</c>: tracked boxes as MOTChallenge text (<c>frame,id,x,y,w,h,score,-1,-1,-1</c>), flushed after every
/// frame so a crash loses at most the frame in flight. Both frames and pixels are 1-based as in MOTChallenge (its
/// ground truth puts the top-left pixel at (1, 1)): frame = source frame index + 1, x/y = image coordinates + 1
/// (<see cref="OneBased"/>).
/// </summary>
public sealed class MotFileSink : IFrameSink
{
    private const string What = "MOT output";
    private readonly MotWriter _writer;
    private readonly string _path;
    private bool _failed;   // a write was refused: the file was cut back to its last whole frame, nothing more to do

    /// <summary>Creates (or truncates) the file; throws <see cref="PoseTrackException"/> when it cannot.</summary>
    public MotFileSink(string path)
    {
        _path = path;
        _writer = new MotWriter(path);
    }

    /// <inheritdoc />
    public bool NeedsImage => false;

    /// <summary>
    /// A box in image coordinates (top-left pixel at 0, 0) in MOTChallenge's 1-based ones (top-left pixel at 1, 1):
    /// the same size, moved one pixel right and down.
    /// </summary>
    public static BoxF OneBased(BoxF box) => box with { X = box.X + 1, Y = box.Y + 1 };

    /// <inheritdoc />
    public void Write(FrameResult result, Mat? annotated)
    {
        ArgumentNullException.ThrowIfNull(result);
        WriteFrame(result.Index, result.Persons.Select(PoseJson.BoxAndScore));
    }

    /// <summary>Writes one frame of a finished JSON lines log (<c>posetrack export</c>): the same rows the live run wrote.</summary>
    public void Write(JsonLinesFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        WriteFrame(frame.Frame, frame.Persons.Select(CsvWriter.Person));
    }

    // Boxes and scores as rounded for the JSON lines log (2 and 3 decimals: far below a pixel), so a log converts
    // to exactly this file. Untracked persons and boxes without area or with a non-finite number are left out.
    private void WriteFrame(long index, IEnumerable<PersonJson> persons)
    {
        int frame = (int)index + 1;
        try
        {
            foreach (var p in persons)
            {
                if (p.TrackId is not > 0 || p.Box is not [double x, double y, double w, double h] || p.Score is not double score) continue;
                var box = new BoxF((float)x, (float)y, (float)w, (float)h);
                if (box.Width > 0 && box.Height > 0) _writer.Write(frame, p.TrackId.Value, OneBased(box), (float)score);
            }
            _writer.EndFrame();
        }
        catch (Exception e) when (OutputFile.IsWriteFailure(e))
        {
            _failed = true;
            throw OutputFile.WriteFailed(_path, What, e);
        }
    }

    /// <inheritdoc />
    public void Complete()
    {
        if (_failed) return;
        try { _writer.EndFrame(); }
        catch (Exception e) when (OutputFile.IsWriteFailure(e)) { throw OutputFile.WriteFailed(_path, What, e); }
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
