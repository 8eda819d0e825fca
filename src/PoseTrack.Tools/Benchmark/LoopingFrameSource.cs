using OpenCvSharp;
using PoseTrack.Sources;

namespace PoseTrack.Benchmark;

/// <summary>
/// Reads a finite source again from its start whenever it ends (the source is reopened), with timestamps that keep
/// rising across passes, so a short video can feed a long soak run.
/// </summary>
internal sealed class LoopingFrameSource : IFrameSource
{
    private readonly Func<IFrameSource> _open;
    private IFrameSource _current;
    private double _offsetMs, _lastMs;
    private long _readThisPass;

    /// <summary>Opens the first pass; <paramref name="open"/> is called again for each later pass.</summary>
    public LoopingFrameSource(Func<IFrameSource> open, long? frameCount)
    {
        _open = open;
        _current = open();
        Info = _current.Info with { FrameCount = frameCount };
    }

    /// <inheritdoc />
    public SourceInfo Info { get; }

    /// <summary>Completed passes over the input.</summary>
    public int Passes { get; private set; }

    /// <inheritdoc />
    public bool Read(Mat frame, out double timeMs)
    {
        for (int attempt = 0; attempt < 2; attempt++)
        {
            if (_current.Read(frame, out var t))
            {
                _readThisPass++;
                _lastMs = t + _offsetMs;
                timeMs = _lastMs;
                return true;
            }
            if (_readThisPass == 0) break; // an input with no frames would loop for ever
            Passes++;
            _current.Dispose();
            _current = _open();
            _offsetMs = _lastMs + 1000.0 / Info.Fps;
            _readThisPass = 0;
        }
        timeMs = 0;
        return false;
    }

    /// <inheritdoc />
    public void Dispose() => _current.Dispose();
}
