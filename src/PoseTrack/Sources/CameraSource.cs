using System.Diagnostics;
using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Sources;

/// <summary>
/// A local camera by index (V4L2 on Linux, <c>/dev/videoN</c>). Live: it never ends by itself, and timestamps are
/// wall-clock time since the first frame, because a camera's real rate drifts from the rate it reports
/// (exposure, USB bandwidth) and a tracker needs the true spacing of frames.
/// </summary>
public sealed class CameraSource : IFrameSource
{
    private readonly VideoCapture _capture;
    private readonly int _index;
    private readonly Stopwatch _clock = new();

    /// <summary>Opens camera <paramref name="index"/>.</summary>
    /// <exception cref="PoseTrackException">No such camera, or it is busy or not permitted.</exception>
    public CameraSource(int index, FrameSourceOptions? options = null)
    {
        _ = options; // nothing camera-specific yet; kept so every source opens the same way
        if (index < 0)
            throw new PoseTrackException($"camera {index} cannot be opened (the index must be 0 or more)");
        _index = index;

        var api = OperatingSystem.IsLinux() ? VideoCaptureAPIs.V4L2 : VideoCaptureAPIs.ANY;
        _capture = new VideoCapture(index, api);
        if (!_capture.IsOpened())
        {
            _capture.Dispose();
            throw new PoseTrackException($"camera {index} cannot be opened ({Why(index)})");
        }
        Info = new SourceInfo($"camera {index}", _capture.FrameWidth, _capture.FrameHeight,
            FrameSourceOptions.UsableFps(_capture.Fps), FrameCount: null, IsLive: true);
    }

    /// <inheritdoc/>
    public SourceInfo Info { get; }

    /// <inheritdoc/>
    /// <exception cref="PoseTrackException">The camera stopped delivering frames (unplugged, or taken by another program).</exception>
    public bool Read(Mat frame, out double timeMs)
    {
        bool ok;
        try { ok = _capture.Read(frame) && !frame.Empty(); }
        catch (OpenCVException e)
        {
            throw new PoseTrackException($"camera {_index} failed: {e.Message.Split('\n')[0]}", inner: e);
        }
        // V4L2 waits up to 10 s for a frame before failing, so a false here means the device is gone.
        if (!ok)
            throw new PoseTrackException($"camera {_index} stopped delivering frames (disconnected or in use)");
        if (!_clock.IsRunning) _clock.Start();
        timeMs = _clock.Elapsed.TotalMilliseconds;
        return true;
    }

    /// <inheritdoc/>
    public void Dispose() => _capture.Dispose();

    private static string Why(int index)
    {
        if (!OperatingSystem.IsLinux()) return "no such device, or it is in use";
        var device = $"/dev/video{index}";
        return File.Exists(device)
            ? $"{device} exists but is busy, not a capture device, or not permitted"
            : $"no such device {device}";
    }
}
