using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Evaluation;

namespace PoseTrack.Sinks;

/// <summary>
/// <c>--mot FILE</c>: tracked boxes as MOTChallenge text (<c>frame,id,x,y,w,h,score,-1,-1,-1</c>, frames from 1),
/// flushed after every frame so a crash loses at most the frame in flight.
/// </summary>
public sealed class MotFileSink : IFrameSink
{
    private readonly MotWriter _writer;

    /// <summary>Creates (or truncates) the file; throws <see cref="PoseTrackException"/> when it cannot.</summary>
    public MotFileSink(string path) => _writer = new MotWriter(path);

    /// <inheritdoc />
    public bool NeedsImage => false;

    /// <inheritdoc />
    public void Write(FrameResult result, Mat? annotated)
    {
        int frame = (int)result.Index + 1;
        foreach (var p in result.Persons)
            if (p.TrackId > 0 && p.Box.Width > 0 && p.Box.Height > 0)
                _writer.Write(frame, p.TrackId, p.Box, p.Score);
        _writer.EndFrame();
    }

    /// <inheritdoc />
    public void Complete() => _writer.EndFrame();

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
