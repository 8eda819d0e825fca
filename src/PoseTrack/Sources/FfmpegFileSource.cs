using System.Globalization;
using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Sources;

/// <summary>
/// A video file decoded by the system's <c>ffmpeg</c> program as a child process (<see cref="FfmpegSource"/>), with the
/// behaviour of <see cref="VideoFileSource"/>: the same checks and messages at open, timestamps from the container,
/// a clean stop at the first damaged frame, and seeking for <c>--start</c>.
/// </summary>
/// <remarks>
/// <para>Why: OpenCV's bundled FFmpeg is built without SIMD code and decodes H.264 at about twice the processor time of
/// Debian's (31 against 15 ms a 1920×1440 frame, before conversion to BGR), which at camera resolutions is the largest
/// cost after the pose model.</para>
/// <para>Same pixels: for a yuv420p stream (nearly every H.264/HEVC file) ffmpeg sends the decoded planes as they are
/// and <see cref="I420ToBgr"/> converts them exactly as OpenCV's reader does, so the frames, and every result, are
/// those of <see cref="VideoFileSource"/> (H.264 decoding is exact by its standard; only the colour conversion could
/// differ). <see cref="TryOpenIdentical"/>, the default's path, checks it on the first frame and declines otherwise
/// (another pixel format, a rotated video, no libswscale): OpenCV then reads the file. Given explicitly
/// (<c>--decoder ffmpeg</c>), other streams are converted by ffmpeg itself (up to 3 grey levels from OpenCV's).</para>
/// <para>Opening: OpenCV opens the file first (and decodes its first frame), so a missing, empty, unreadable or
/// damaged file gets exactly <see cref="VideoFileSource"/>'s message, and the frame count the container announces is
/// known. Then ffmpeg runs with <c>-xerror</c>: it stops at the first corrupt packet or decoding error, as OpenCV's
/// reader does (without it ffmpeg conceals the damage and goes on: 102 frames, some broken, from a 100-frame file with
/// a hole), and the source reports "stopped at frame N of M". Times are the frames' own timestamps (<c>showinfo</c>,
/// <c>-copyts -start_at_zero</c>: from the start of the file, also after a seek), so variable frame rates keep
/// their timing.</para>
/// </remarks>
internal sealed class FfmpegFileSource : IFrameSource, IReportsEarlyEnd, ISeekableSource
{
    private readonly string _path;
    private readonly FrameSourceOptions _options;
    private readonly string? _ffmpegPath;
    private readonly bool _i420;
    private FfmpegSource _child;
    private bool _ended;
    private Mat? _pending;        // the first frame, read at open to compare it with OpenCV's
    private double _pendingMs;

    /// <summary>Opens <paramref name="path"/> (checked by OpenCV, then decoded by ffmpeg).</summary>
    /// <exception cref="PoseTrackException">The file is missing, empty, unreadable, not a video, has no decodable frame,
    /// or ffmpeg is missing or cannot decode it.</exception>
    public FfmpegFileSource(string path, FrameSourceOptions? options = null, string? ffmpegPath = null)
        : this(path, options, ffmpegPath, identical: false)
    {
    }

    private FfmpegFileSource(string path, FrameSourceOptions? options, string? ffmpegPath, bool identical)
    {
        _path = path;
        _options = options ?? new FrameSourceOptions();
        _ffmpegPath = ffmpegPath;
        SourceInfo probed;
        using var opencvFirst = new Mat();
        using (var probe = new VideoFileSource(path))
        {
            probed = probe.Info;
            if (identical && !probe.Read(opencvFirst, out _)) throw new NotIdentical();
        }
        _i420 = I420ToBgr.IsAvailable;
        if (identical && !_i420) throw new NotIdentical();
        _child = Start(seekSeconds: null, _i420);
        try
        {
            if (_i420 && (_child.InputPixelFormat != "yuv420p" || _child.InputRotated))
            {
                if (identical) throw new NotIdentical();
                // Another pixel format (yuvj420p, 4:2:2, 10-bit…): ffmpeg converts it to BGR itself.
                _child.Dispose();
                _i420 = false;
                _child = Start(seekSeconds: null, i420: false);
            }
            if (identical)
            {
                _pending = new Mat();
                if (!_child.Read(_pending, out _pendingMs) || _pending.Size() != opencvFirst.Size()
                    || Cv2.Norm(_pending, opencvFirst, NormTypes.INF) != 0)
                    throw new NotIdentical();
            }
        }
        catch
        {
            _pending?.Dispose();
            _child.Dispose();
            throw;
        }
        // Size from ffmpeg (its frames are the ones read), rate and count from the container as OpenCV reads them.
        Info = probed with { Width = _child.Info.Width, Height = _child.Info.Height };
    }

    /// <summary>
    /// Opens <paramref name="path"/> through ffmpeg when its frames are OpenCV's to the bit (a yuv420p stream, not
    /// rotated, libswscale loadable, and the first frame identical); null otherwise, for OpenCV to read the file.
    /// </summary>
    /// <exception cref="PoseTrackException">The file is missing, empty, unreadable, not a video or has no decodable frame
    /// (OpenCV's checks, as <see cref="VideoFileSource"/>).</exception>
    public static FfmpegFileSource? TryOpenIdentical(string path, FrameSourceOptions? options = null, string? ffmpegPath = null)
    {
        try
        {
            return new FfmpegFileSource(path, options, ffmpegPath, identical: true);
        }
        catch (NotIdentical)
        {
            return null;
        }
        catch (PoseTrackException)
        {
            // OpenCV's checks failed (the fallback says so in the same words) or ffmpeg could not read what OpenCV
            // opened: OpenCV reads it, and reports its own problems.
            return null;
        }
    }

    /// <summary>True when frames come as yuv420p and are converted here (identical to OpenCV's); false when ffmpeg
    /// converts them (explicit <c>--decoder ffmpeg</c> on another pixel format).</summary>
    internal bool ConvertsI420 => _i420;

    private sealed class NotIdentical : Exception;

    /// <inheritdoc/>
    public SourceInfo Info { get; }

    /// <summary>Frames delivered so far, counting those a seek skipped: the source index of the next frame.</summary>
    public long FramesRead { get; private set; }

    /// <inheritdoc/>
    public long NextFrameIndex => FramesRead;

    /// <summary>Process id of the ffmpeg child (bench, tests).</summary>
    internal int ProcessId => _child.ProcessId;

    /// <summary>True once reading has ended at a damaged frame, or before the frame count the container announced.</summary>
    public bool StoppedEarly => _ended && (_child.EarlyEnd is not null || (Info.FrameCountIsExact && FramesRead < (Info.FrameCount ?? 0)));

    /// <inheritdoc/>
    public string? EarlyEnd => !StoppedEarly ? null : VideoFileSource.StoppedAt(_path, FramesRead, Info.FrameCount,
        _child.Problem is { } p && _child.EarlyEnd is not null ? $"truncated or corrupt: {p}" : null);

    /// <inheritdoc/>
    public bool Read(Mat frame, out double timeMs)
    {
        if (_pending is not null)
        {
            _pending.CopyTo(frame);
            timeMs = _pendingMs;
            _pending.Dispose();
            _pending = null;
            FramesRead++;
            return true;
        }
        if (_ended || !_child.Read(frame, out timeMs))
        {
            timeMs = 0;
            _ended = true;
            return false;
        }
        FramesRead++;
        return true;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// ffmpeg is started again with <c>-ss</c> one frame before the time: it seeks to the keyframe before and decodes
    /// from there, handing out only the frames from that time on (the frames of a full decode: a test compares them).
    /// Not used before the first read, nor past the announced length.
    /// </remarks>
    public bool TrySeekBefore(double timeMs)
    {
        double target = timeMs - 1000.0 / Info.Fps;
        if (_ended || FramesRead > 0 || !(target > 0)) return false;
        if (Info.FrameCount is long n && target >= n * 1000.0 / Info.Fps) return false;
        var seeked = Start(target / 1000.0, _i420);
        _child.Dispose();
        _child = seeked;
        _pending?.Dispose();
        _pending = null;
        // The first frame handed out is the first at or after the target.
        FramesRead = (long)Math.Ceiling(target * Info.Fps / 1000.0 - 1e-6);
        return true;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _child.Dispose();
        _pending?.Dispose();
    }

    private FfmpegSource Start(double? seekSeconds, bool i420)
    {
        var input = new List<string>();
        if (seekSeconds is { } s) input.AddRange(["-ss", s.ToString("0.######", CultureInfo.InvariantCulture)]);
        input.AddRange(FfmpegSource.InputArguments(_path, out _));
        return new FfmpegSource(_path, input, readsStdin: false, _options, CancellationToken.None, _ffmpegPath,
            openTimeout: null, extraInputFlags: ["-xerror", "-copyts", "-start_at_zero", .. FfmpegSource.SmallMachineThreads()], frameTimes: true, i420: i420);
    }
}
