using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Sources;

/// <summary>
/// Frames of a video file, decoded by OpenCV's FFmpeg backend. Timestamps come from the container.
/// </summary>
/// <remarks>
/// Damaged files. Observed with OpenCV 4.13 (official linux-x64 runtime, FFmpeg 7.1) on an H.264 mp4 whose
/// index (moov) is at the start, as in vtest_10s.mp4 (100 frames):
/// <list type="bullet">
/// <item>0-byte file, text file named .mp4, first 1000 bytes only: FFmpeg cannot read the header
/// ("moov atom not found" / "error reading header") and the capture does not open: an error at open here.</item>
/// <item>Cut after the index but before the first complete frame (first 50 kB): the capture opens and still
/// reports 100 frames from the index, but the first read fails: an error at open here ("no decodable frames"),
/// because the first frame is decoded while opening.</item>
/// <item>Cut in half: frames 0-32 decode, then a read returns false ("partial file", "Invalid NAL unit size").
/// No exception is raised by OpenCV.</item>
/// <item>A middle sixth overwritten (random bytes or zeros): frames 0-12 decode, then reads return false.
/// Reading on after the failure would resume about 20 calls later at the next keyframe, but with a few
/// out-of-order timestamps and damaged frames first; a tracker is better served by a clean stop.</item>
/// </list>
/// So the source reads until the first failed read, never throws mid-way, and when fewer frames came than the
/// container announced it sets <see cref="StoppedEarly"/> and <see cref="EarlyEnd"/> ("stopped at frame N of M")
/// for the pipeline to report and exit non-zero. The announced count is exact for mp4/mov/mkv/avi written by
/// FFmpeg (checked); for containers without a frame count FFmpeg estimates it from the duration, and for those
/// with none <see cref="StoppedEarly"/> stays false unless decoding threw.
/// </remarks>
public sealed class VideoFileSource : IFrameSource, IReportsEarlyEnd, ISeekableSource
{
    private readonly VideoCapture _capture;
    private readonly string _path;
    private bool _firstGrabbed;   // the first frame was grabbed at open to prove the file decodes
    private bool _ended;
    private string? _failure;     // an OpenCV exception while decoding, if any

    /// <summary>Opens a video file.</summary>
    /// <exception cref="PoseTrackException">The file is missing, empty, unreadable, not a video, or has no decodable frame.</exception>
    public VideoFileSource(string path)
    {
        _path = path;
        CheckFile(path);

        _capture = new VideoCapture(path, VideoCaptureAPIs.FFMPEG);
        try
        {
            if (!_capture.IsOpened())
                throw new PoseTrackException(AudioOnlyMedia.Is(path)
                    ? $"video file {path} has no video stream (audio only)"
                    : $"video file {path} is not a video FFmpeg can open (unknown format or damaged header)");
            int width = _capture.FrameWidth, height = _capture.FrameHeight;
            if (width <= 0 || height <= 0)
                throw new PoseTrackException($"video file {path} has no video stream");
            if (!_capture.Grab())
                throw new PoseTrackException($"video file {path} has no decodable frames (truncated or corrupt)");
            _firstGrabbed = true;

            var count = (long)_capture.FrameCount;
            Info = new SourceInfo(path, width, height, FrameSourceOptions.UsableFps(_capture.Fps),
                count > 0 ? count : null, IsLive: false) { FrameCountIsExact = CountsFrames(path) };
        }
        catch
        {
            _capture.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public SourceInfo Info { get; }

    /// <summary>Frames delivered so far, counting those a seek skipped: the source index of the next frame.</summary>
    public long FramesRead { get; private set; }

    /// <inheritdoc/>
    public long NextFrameIndex => FramesRead;

    /// <summary>
    /// True once reading has ended before the frame count the container announced (truncated or corrupt file),
    /// or because decoding failed.
    /// </summary>
    public bool StoppedEarly => _ended && (_failure is not null || (Info.FrameCountIsExact && FramesRead < (Info.FrameCount ?? 0)));

    /// <summary>
    /// Containers that record their number of frames (FFmpeg's <c>nb_frames</c>: the MP4/MOV sample table, the AVI
    /// header). For the others (MPEG-TS, Matroska/WebM, FLV, raw streams) FFmpeg estimates the count from duration ×
    /// nominal rate, which a complete variable-frame-rate file falls short of (a 55-frame .ts announced 175).
    /// </summary>
    private static bool CountsFrames(string path) =>
        System.IO.Path.GetExtension(path).ToLowerInvariant() is ".mp4" or ".m4v" or ".mov" or ".3gp" or ".3g2" or ".avi";

    /// <summary>One line for the user when <see cref="StoppedEarly"/>, else null.</summary>
    public string? EarlyEnd => !StoppedEarly ? null : StoppedAt(_path, FramesRead, Info.FrameCount, _failure);

    /// <summary>"video file X stopped at frame N of M (cause)", the cause "truncated or corrupt" unless known: the
    /// early-end line of every video file reader.</summary>
    internal static string StoppedAt(string path, long framesRead, long? frameCount, string? cause) =>
        $"video file {path} stopped at frame {framesRead}" + (frameCount is long n ? $" of {n}" : "") + $" ({cause ?? "truncated or corrupt"})";

    /// <inheritdoc/>
    public bool Read(Mat frame, out double timeMs)
    {
        timeMs = 0;
        if (_ended) return false;
        try
        {
            var grabbed = _firstGrabbed || _capture.Grab();
            _firstGrabbed = false;
            // Retrieve writes into the caller's Mat, reusing its buffer when size and type match.
            if (!grabbed || !_capture.Retrieve(frame) || frame.Empty())
            {
                _ended = true;
                return false;
            }
        }
        catch (OpenCVException e)
        {
            // A decoder exception ends the file like a failed read: the frames so far stay usable.
            _failure = e.Message.Split('\n')[0];
            _ended = true;
            return false;
        }

        timeMs = CaptureTime.FileMs(_capture.PosMsec, FramesRead, Info.Fps);
        FramesRead++;
        return true;
    }

    /// <summary>How far before the asked time a seek lands, so that a file whose timestamps drift from index / rate
    /// (variable frame rate) still starts at or before it; the reader decodes the rest.</summary>
    private const double SeekMarginMs = 1000;

    /// <inheritdoc/>
    /// <remarks>
    /// OpenCV's FFmpeg backend turns the time into a frame number (time × rate), seeks to the keyframe before it and
    /// decodes up to that frame, so the frames after a seek are the ones a full decode gives (a test compares them).
    /// Not used before the first read, nor past the announced length (the reader then finds the end itself).
    /// </remarks>
    public bool TrySeekBefore(double timeMs)
    {
        double target = timeMs - SeekMarginMs;
        if (_ended || FramesRead > 0 || !(target > 0)) return false;
        if (Info.FrameCount is long n && target >= n * 1000.0 / Info.Fps) return false;
        try
        {
            if (!_capture.Set(VideoCaptureProperties.PosMsec, target)) return false;
            long next = (long)_capture.PosFrames;
            if (next <= 0) return false;
            FramesRead = next;
            _firstGrabbed = false;
            return true;
        }
        catch (OpenCVException)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _capture.Dispose();

    /// <summary>Checks what FFmpeg would only report as "cannot open", so the user learns the real cause.</summary>
    private static void CheckFile(string path)
    {
        if (Directory.Exists(path))
            throw new PoseTrackException($"video file {path} is a folder (give the folder itself to read its images)");
        if (!File.Exists(path))
            throw new PoseTrackException($"video file not found: {path}");
        if (new FileInfo(path).Length == 0)
            throw new PoseTrackException($"video file {path} is empty (0 bytes)");
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new PoseTrackException($"video file {path} cannot be read ({e.Message.Split('\n')[0]})", inner: e);
        }
    }
}

/// <summary>Timestamp rules shared by the capture-based sources.</summary>
internal static class CaptureTime
{
    /// <summary>
    /// Container time of the frame just grabbed. Some containers report 0 (or NaN) for every frame; after the
    /// first frame that is taken as "unknown" and the time is derived from the index and rate instead.
    /// </summary>
    public static double FileMs(double posMsec, long index, double fps) =>
        double.IsFinite(posMsec) && (posMsec > 0 || index == 0) ? Math.Max(posMsec, 0) : index * 1000.0 / fps;
}
