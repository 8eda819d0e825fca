using OpenCvSharp;

namespace PoseTrack.Sinks;

/// <summary>
/// What both video writers (OpenCV's and the ffmpeg child) do to each frame before writing it: bring it to 8-bit BGR
/// at the file's size, and decide how many times it is written so that the constant-rate file keeps the input's timing.
/// Owns the two scratch images it converts into.
/// </summary>
internal sealed class VideoFrames : IDisposable
{
    // A frame is repeated at most this long: a stalled live source does not fill the disk with one picture.
    private const double MaxHoldSeconds = 10;
    private readonly Mat _converted = new(), _resized = new();
    private double? _firstMs;   // timestamp of the first frame: the file's time 0

    /// <summary>
    /// The frame as 8-bit BGR of <paramref name="size"/> (continuous when <paramref name="continuous"/>): the frame
    /// itself when it already is, else one of the scratch images. Writers drop or garble other layouts and sizes
    /// silently (OpenCV's FFmpeg writer drops frames of the wrong size), so none is lost this way.
    /// </summary>
    public Mat ToBgr(Mat frame, Size size, bool continuous)
    {
        if (frame.Type() != MatType.CV_8UC3)
        {
            var code = frame.Channels() switch { 1 => ColorConversionCodes.GRAY2BGR, 4 => ColorConversionCodes.BGRA2BGR, _ => (ColorConversionCodes?)null };
            if (code is null || frame.Depth() != MatType.CV_8U)
                throw new ArgumentException($"Unsupported frame type {frame.Type()}; expected 8-bit BGR.", nameof(frame));
            Cv2.CvtColor(frame, _converted, code.Value);
            frame = _converted;
        }
        if (frame.Width != size.Width || frame.Height != size.Height || (continuous && !frame.IsContinuous()))
        {
            Cv2.Resize(frame, _resized, size, 0, 0, InterpolationFlags.Area);
            frame = _resized;
        }
        return frame;
    }

    /// <summary>
    /// How many times the frame at <paramref name="timeMs"/> is written into a <paramref name="fps"/> file that holds
    /// <paramref name="written"/> frames: repeated until its timestamp's slot (one that stands for 100 ms in a 30 fps
    /// file is written three times), so a variable-frame-rate input keeps its duration; at least once (none is lost;
    /// timestamps that do not increase count as unknown), so a constant-rate input gives one file frame per frame.
    /// </summary>
    public long CopiesOf(double timeMs, double fps, long written)
    {
        _firstMs ??= timeMs;
        long due = (long)Math.Round((timeMs - _firstMs.Value) * fps / 1000.0);
        return Math.Clamp(due - written + 1, 1, Math.Max(1, (long)Math.Ceiling(fps * MaxHoldSeconds)));
    }

    public void Dispose()
    {
        _converted.Dispose();
        _resized.Dispose();
    }
}
