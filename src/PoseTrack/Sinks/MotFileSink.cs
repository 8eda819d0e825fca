using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>
/// <c>--mot FILE</c>: tracked boxes as MOTChallenge text (<c>frame,id,x,y,w,h,score,-1,-1,-1</c>, frames from 1),
/// flushed after every frame so a crash loses at most the frame in flight.
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

    /// <inheritdoc />
    public void Write(FrameResult result, Mat? annotated)
    {
        int frame = (int)result.Index + 1;
        try
        {
            foreach (var p in result.Persons)
                if (p.TrackId > 0 && p.Box.Width > 0 && p.Box.Height > 0)
                    _writer.Write(frame, p.TrackId, p.Box, p.Score);
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
