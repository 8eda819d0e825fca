using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>
/// Writes the annotated frames to a video file (<c>--output FILE</c>) at the input's size and rate, through
/// OpenCV's bundled FFmpeg. The codec follows the extension unless a FourCC is given:
/// <list type="bullet">
/// <item>.mp4, .m4v, .mov → mp4v (MPEG-4 Part 2). The bundled FFmpeg has no H.264 encoder: 'avc1'/'H264' fail to open.</item>
/// <item>.avi → MJPG (Motion JPEG: larger, but every frame is a key frame).</item>
/// <item>.mkv → mp4v. Matroska needs no trailing index, so the file of a killed run still plays up to the last
/// written frame, unlike .mp4 whose index is written only when the file is finalised.</item>
/// </list>
/// Frames of another size or type are converted into a reused buffer, so every frame reaches the file.
/// </summary>
public sealed class VideoFileSink : IFrameSink
{
    private const string What = "video output";
    private readonly VideoWriter _writer;
    private readonly FileStream _lock;
    private readonly VideoFrames _frames = new();
    private readonly string _fullPath;
    private bool _completed, _disposed;
    private long _lastLength;   // file size after the last frame that grew it

    /// <summary>The output path as given.</summary>
    public string Path { get; }
    /// <summary>The FourCC in use (e.g. "mp4v").</summary>
    public string FourCC { get; }
    /// <summary>Frame size given (the input's); frames of another size are resized to it.</summary>
    public Size FrameSize { get; }
    /// <summary>
    /// Frame size the file really has: OpenCV's FFmpeg writer needs even sizes and drops the last column and/or row
    /// of an odd one (321x241 is written as 320x240, not rescaled, so coordinates stay valid).
    /// </summary>
    public Size WrittenSize => new(FrameSize.Width & ~1, FrameSize.Height & ~1);
    /// <summary>Frame rate of the file.</summary>
    public double Fps { get; }
    /// <summary>Frames written so far.</summary>
    public long FramesWritten { get; private set; }

    /// <inheritdoc />
    public bool NeedsImage => true;

    /// <summary>Frame rate used when the source does not report a usable one.</summary>
    public const double DefaultFps = 25;

    /// <summary>
    /// Opens the writer now, so a bad path or codec fails before any processing. Throws
    /// <see cref="PoseTrackException"/> naming the path or codec when the file cannot be written.
    /// </summary>
    /// <param name="path">Output file; its extension picks the codec.</param>
    /// <param name="width">Frame width (the input's).</param>
    /// <param name="height">Frame height (the input's).</param>
    /// <param name="fps">Frame rate (the input's); ≤ 0 or not finite → <see cref="DefaultFps"/>.</param>
    /// <param name="fourCC">Four-character codec code overriding the extension's default (e.g. "XVID", "FFV1").</param>
    public VideoFileSink(string path, int width, int height, double fps, string? fourCC = null)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"Invalid frame size {width}x{height}.");
        var full = OutputSafety.CheckPath(What, path);
        _fullPath = full;
        Path = path;
        FourCC = string.IsNullOrEmpty(fourCC) ? DefaultFourCC(path) : fourCC;
        if (FourCC.Length != 4) throw new PoseTrackException($"Invalid codec '{FourCC}' for '{path}': a FourCC has exactly 4 characters (e.g. mp4v, MJPG).");
        FrameSize = new Size(width, height);
        Fps = double.IsFinite(fps) && fps > 0 ? fps : DefaultFps;
        // FFMPEG only: with "any backend" OpenCV falls back to its image-sequence writer, which fails with an
        // assertion instead of a clear "cannot open".
        // OpenCV opens the file by name; this handle holds the writer's lock for the run, taken before OpenCV
        // truncates anything, so a second run aimed at this file fails without touching it.
        _lock = OutputFile.Lock(full, What, out bool created);
        _writer = new VideoWriter();
        bool ok;
        try { ok = _writer.Open(full, VideoCaptureAPIs.FFMPEG, OpenCvSharp.FourCC.FromString(FourCC), Fps, FrameSize); }
        catch (OpenCVException) { ok = false; }
        if (!ok || !_writer.IsOpened())
        {
            _writer.Dispose();
            _frames.Dispose();
            _lock.Dispose();
            if (created) try { File.Delete(full); } catch (IOException) { }
            // The probable cause: OpenCV only logs why; a file that cannot be written is the usual one, else the codec.
            string why = OutputSafety.WriteProbe(full, out _)
                ?? $"codec '{FourCC}' is not supported for '{System.IO.Path.GetExtension(path)}' by this OpenCV build (try --fourcc mp4v or MJPG, or an .mp4/.avi/.mkv name)";
            throw new PoseTrackException($"Cannot write video '{path}': {why}.");
        }
    }

    /// <summary>The default FourCC for a file name's extension. Throws <see cref="PoseTrackException"/> for an unknown one.</summary>
    public static string DefaultFourCC(string path) => System.IO.Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".mp4" or ".m4v" or ".mov" => "mp4v",
        ".avi" => "MJPG",
        ".mkv" => "mp4v",
        var ext => throw new PoseTrackException(
            $"Cannot write video '{path}': unknown extension '{ext}'; use .mp4, .avi or .mkv, or give a FourCC."),
    };

    /// <inheritdoc />
    public void Write(FrameResult result, Mat? annotated)
    {
        ArgumentNullException.ThrowIfNull(annotated);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) throw new InvalidOperationException("The video sink is complete; no more frames can be written.");
        if (annotated.Empty()) throw new ArgumentException("Empty frame.", nameof(annotated));

        var frame = _frames.ToBgr(annotated, FrameSize, continuous: false);
        long copies = _frames.CopiesOf(result.TimeMs, Fps, FramesWritten);
        for (long i = 0; i < copies; i++)
        {
            _writer.Write(frame);
            FramesWritten++;
        }
        if (RefusedWrite() is { } reason) StopAfterRefusal(reason, result.Index);
    }

    /// <summary>
    /// OpenCV's writer does not report a refused write (it only logs it), so the file is watched instead: while it
    /// grows all is well; when a frame leaves its size unchanged (normal: the muxer buffers) the file is at the
    /// process's file-size limit, or its file system has no room for the next buffer, the write was refused. One
    /// fstat per frame, a statvfs only on frames that did not grow the file. Null while writing works.
    /// </summary>
    private string? RefusedWrite()
    {
        long length = _lock.Length;
        if (length > _lastLength) { _lastLength = length; return null; }
        if (DiskSpace.FileSizeLimit() is { } limit && length >= limit)
            return "the file reached the file-size limit (ulimit -f)";
        if (DiskSpace.Available(_fullPath) is { } free && free < DiskSpace.FullBelowBytes)
            return "no space left on device";
        return null;
    }

    /// <summary>
    /// Ends the file at once after a refused write, so the run stops at the first refusal instead of encoding the
    /// rest of the input into nothing: releases the writer (what was written stays playable where the container
    /// allows: .mkv/.avi; an .mp4 needs its index written at the end and does not open) and says which.
    /// </summary>
    private void StopAfterRefusal(string reason, long frame)
    {
        _completed = true;
        _writer.Release();
        bool playable;
        using (var check = new VideoCapture(_fullPath, VideoCaptureAPIs.FFMPEG))
            playable = check.IsOpened() && check.Grab();
        throw new PoseTrackException($"Writing {What} '{Path}' failed at frame {frame}: {reason}; " + (playable
            ? "the frames written before it stay playable"
            : $"the file is not playable ({System.IO.Path.GetExtension(Path)} keeps its index at the end; .mkv or .avi keep what was written)"));
    }

    /// <summary>
    /// Releases the writer, which writes the container's trailer so the file is complete, then checks that the file
    /// opens and holds every frame: OpenCV's writer only logs a refused write (disk full, file-size limit), so
    /// without this a run would end "successfully" with a damaged video. Throws <see cref="PoseTrackException"/>
    /// when the check fails; later calls do nothing.
    /// </summary>
    public void Complete()
    {
        if (_completed || _disposed) return;
        _completed = true;
        _writer.Release();
        if (FramesWritten == 0) return;
        long inFile;
        using (var check = new VideoCapture(_fullPath, VideoCaptureAPIs.FFMPEG))
            inFile = check.IsOpened() ? (long)check.FrameCount : -1;
        if (inFile < 0)
            throw new PoseTrackException($"Writing {What} '{Path}' failed: the finished file does not open (disk full or file-size limit?); {FramesWritten} frames were given to it.");
        if (inFile < FramesWritten)
            throw new PoseTrackException($"Writing {What} '{Path}' failed: the file holds {inFile} of the {FramesWritten} frames written (disk full or file-size limit?).");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _writer.Dispose(); // releases (finalises) the file too when Complete was not called
        _lock.Dispose();
        _frames.Dispose();
    }
}
