using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Sources;

namespace PoseTrack.Sinks;

/// <summary>Codec of an <see cref="FfmpegVideoSink"/>.</summary>
public enum FfmpegVideoCodec
{
    /// <summary>H.264 (libx264 <c>veryfast</c>): plays in browsers (<c>--codec h264</c>).</summary>
    H264,
    /// <summary>
    /// MPEG-4 Part 2 (ffmpeg's <c>mpeg4</c>, <c>-q:v 4</c>), the codec OpenCV's mp4v writer uses, at about a third of
    /// its processor time (posetrack bench, 1920×1440: 25 against 84 ms CPU per frame) (<c>--codec mpeg4</c>).
    /// </summary>
    Mpeg4,
}

/// <summary>
/// Writes the annotated frames as H.264 (libx264, yuv420p) or MPEG-4 Part 2 (<see cref="FfmpegVideoCodec"/>) through
/// the system's <c>ffmpeg</c> running as a child process (H.264 plays in browsers: <c>--codec h264</c>); .mp4/.m4v/.mov get <c>-movflags +faststart</c> (index
/// first). Frames go to ffmpeg's standard input as raw yuv420p, converted here by OpenCV (BT.601, limited range, as
/// ffmpeg's own conversion of BGR): half the bytes of BGR on the pipe and no conversion in ffmpeg, about 6 ms less
/// processor time per 1920×1440 frame (posetrack bench). Same contract as <see cref="VideoFileSink"/>: the input's size
/// (an odd width or height loses its last column or row) and rate, frames of another size or type converted, late
/// frames held, the writer's exclusive lock on the file (<see cref="OutputFile.Lock"/>) for the whole run.
/// </summary>
/// <remarks>
/// A refused write (disk full, file-size limit) makes ffmpeg fail and exit: the next frame, or <see cref="Complete"/>,
/// then throws one <see cref="PoseTrackException"/> with ffmpeg's error line, and the run stops at once. ffmpeg is
/// started through <c>setpriv --pdeathsig KILL</c> from a thread that lives until it exits (as
/// <see cref="FfmpegSource"/>), so it never outlives posetrack.
/// </remarks>
public sealed class FfmpegVideoSink : IFrameSink
{
    private const string What = "video output";
    private readonly Process _process;
    private readonly Thread _keeper;
    private readonly FileStream _lock;
    private readonly ManualResetEventSlim _exited = new(false);
    private readonly VideoFrames _frames = new();
    private readonly Mat _i420 = new();
    private readonly object _gate = new();
    private readonly string _fullPath;
    private Stream? _stdin;
    private string? _lastError;
    private Exception? _startError;
    private bool _completed, _disposed;
    private long _lastLength;   // file size after the last frame that grew it

    /// <summary>The output path as given.</summary>
    public string Path { get; }
    /// <summary>Frame size given (the input's).</summary>
    public Size FrameSize { get; }
    /// <summary>Frame size of the file: even width and height (yuv420p), the odd last column or row dropped.</summary>
    public Size WrittenSize => new(FrameSize.Width & ~1, FrameSize.Height & ~1);
    /// <summary>Frame rate of the file.</summary>
    public double Fps { get; }
    /// <summary>Frames given to ffmpeg so far.</summary>
    public long FramesWritten { get; private set; }
    /// <summary>Process id of the ffmpeg child.</summary>
    public int ProcessId { get; }
    /// <inheritdoc />
    public bool NeedsImage => true;

    /// <summary>The codec written.</summary>
    public FfmpegVideoCodec Codec { get; }

    /// <summary>Starts ffmpeg writing <paramref name="path"/> (.mp4, .m4v, .mov or .mkv) as H.264.</summary>
    /// <exception cref="PoseTrackException">ffmpeg is missing, the extension is not one of those, or the file cannot be written.</exception>
    public FfmpegVideoSink(string path, int width, int height, double fps, string? ffmpegPath = null)
        : this(path, width, height, fps, FfmpegVideoCodec.H264, ffmpegPath) { }

    /// <summary>Starts ffmpeg writing <paramref name="path"/> (.mp4, .m4v, .mov or .mkv) with <paramref name="codec"/>.</summary>
    /// <exception cref="PoseTrackException">ffmpeg is missing, the extension is not one of those, or the file cannot be written.</exception>
    public FfmpegVideoSink(string path, int width, int height, double fps, FfmpegVideoCodec codec, string? ffmpegPath = null)
    {
        Codec = codec;
        string name = codec == FfmpegVideoCodec.H264 ? "H.264" : "MPEG-4";
        if (width < 2 || height < 2) throw new ArgumentOutOfRangeException(nameof(width), $"Invalid frame size {width}x{height}.");
        var ext = System.IO.Path.GetExtension(path).ToLowerInvariant();
        if (ext is not (".mp4" or ".m4v" or ".mov" or ".mkv"))
            throw new PoseTrackException($"Cannot write video '{path}': --codec {(codec == FfmpegVideoCodec.H264 ? "h264" : "mpeg4")} writes .mp4, .m4v, .mov or .mkv (got '{ext}')");
        var ffmpeg = (ffmpegPath ?? FfmpegSource.FindOnPath("ffmpeg"))
            ?? throw new PoseTrackException($"Cannot write video '{path}' as {name}: ffmpeg is not installed (Debian/Ubuntu: sudo apt-get install -y {FfmpegSource.Package})");
        var full = OutputSafety.CheckPath(What, path);
        _fullPath = full;
        Path = path;
        FrameSize = new Size(width, height);
        Fps = double.IsFinite(fps) && fps > 0 ? fps : VideoFileSink.DefaultFps;
        _lock = OutputFile.Lock(full, What, out bool created);

        // yuv420p needs even sizes: the odd last column or row is left out here (WrittenSize).
        var args = new List<string> { "-hide_banner", "-nostats", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p",
            "-s", $"{width & ~1}x{height & ~1}", "-framerate", Fps.ToString("R", CultureInfo.InvariantCulture), "-i", "pipe:0" };
        // mpeg4 -q:v 4: a fixed quantiser, near OpenCV's mp4v quality (it lets the rate follow the picture).
        // libx264 keeps its threads (one would be far slower); mpeg4 is cheap enough for one on a small machine.
        args.AddRange(codec == FfmpegVideoCodec.H264 ? ["-c:v", "libx264", "-preset", "veryfast"] : ["-c:v", "mpeg4", "-q:v", "4", .. FfmpegSource.SmallMachineThreads()]);
        args.AddRange(["-pix_fmt", "yuv420p"]);
        if (ext != ".mkv") args.AddRange(["-movflags", "+faststart"]);
        args.AddRange(["-y", full]);
        var psi = FfmpegSource.ChildStartInfo(ffmpeg, args);
        psi.RedirectStandardInput = psi.RedirectStandardError = psi.RedirectStandardOutput = true;
        _process = new Process { StartInfo = psi };
        using var started = new ManualResetEventSlim(false);
        _keeper = new Thread(() => Keep(started)) { IsBackground = true, Name = "ffmpeg writer" };
        _keeper.Start();
        started.Wait();
        if (_startError is not null)
        {
            _process.Dispose();
            _lock.Dispose();
            if (created) try { File.Delete(full); } catch (IOException) { }
            throw new PoseTrackException($"Cannot write video '{path}' as {name}: ffmpeg cannot be started ({_startError.Message})", inner: _startError);
        }
        _stdin = _process.StandardInput.BaseStream;
        ProcessId = _process.Id;
    }

    /// <inheritdoc />
    public void Write(FrameResult result, Mat? annotated)
    {
        ArgumentNullException.ThrowIfNull(annotated);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) throw new InvalidOperationException("The video sink is complete; no more frames can be written.");
        if (annotated.Empty()) throw new ArgumentException("Empty frame.", nameof(annotated));
        // As VideoFileSink: 8-bit BGR at the file's size, and a constant-rate file where a late frame is repeated until
        // the next one's time. Then I420 of the even size, continuous: its bytes go to ffmpeg's pipe as they lie.
        var bgr = _frames.ToBgr(annotated, FrameSize, continuous: false);
        var even = WrittenSize;
        if (bgr.Width != even.Width || bgr.Height != even.Height)
        {
            using var cropped = new Mat(bgr, new Rect(0, 0, even.Width, even.Height));
            Cv2.CvtColor(cropped, _i420, ColorConversionCodes.BGR2YUV_I420);
        }
        else Cv2.CvtColor(bgr, _i420, ColorConversionCodes.BGR2YUV_I420);
        var frame = _i420;
        long copies = _frames.CopiesOf(result.TimeMs, Fps, FramesWritten);
        for (long i = 0; i < copies; i++)
        {
            if (_exited.IsSet) Fail(result.Index);
            try { WriteBytes(frame); }
            catch (Exception e) when (e is IOException or ObjectDisposedException) { Fail(result.Index); }
            FramesWritten++;
        }
        if (RefusedWrite() is { } reason) Fail(result.Index, reason);
    }

    /// <summary>
    /// Some of ffmpeg's muxers (Matroska) do not check their writes: at a file-size limit or on a full disk ffmpeg
    /// goes on taking frames and exits 0 with a cut file. So the file is watched as <see cref="VideoFileSink"/> does:
    /// while it grows all is well; when it has stopped growing at the file-size limit, or with the disk full, the
    /// write was refused. One fstat per frame, a statvfs only on frames that did not grow the file.
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

    private unsafe void WriteBytes(Mat frame)
    {
        int bytes = checked(frame.Rows * frame.Cols * frame.ElemSize());
        _stdin!.Write(new ReadOnlySpan<byte>((void*)frame.Data, bytes));
    }

    /// <summary>ffmpeg stopped taking frames: waits briefly for its error line, then stops the run with it.</summary>
    private void Fail(long frame, string? reason = null)
    {
        _completed = true;
        if (reason is not null)
        {
            // ffmpeg still runs: end it so it finishes what it has (what a refused write left).
            try { _stdin?.Close(); } catch (IOException) { }
            _stdin = null;
        }
        if (!_exited.Wait(TimeSpan.FromSeconds(5))) Kill();
        _exited.Wait(TimeSpan.FromSeconds(5));
        // What ffmpeg wrote before it stopped: .mkv keeps it playable; .mp4/.mov need the index written at the end.
        bool playable;
        using (var check = new VideoCapture(_fullPath, VideoCaptureAPIs.FFMPEG))
            playable = check.IsOpened() && check.Grab();
        throw new PoseTrackException($"Writing {What} '{Path}' failed at frame {frame}: {reason ?? "ffmpeg: " + Problem()}; " + (playable
            ? "the frames written before it stay playable"
            : $"the file is not playable ({System.IO.Path.GetExtension(Path)} keeps its index at the end; .mkv keeps what was written)"));
    }

    /// <summary>ffmpeg's last error line, with what it means where ffmpeg's words are not clear.</summary>
    private string Problem()
    {
        string text;
        lock (_gate) text = (_lastError ?? (_process.HasExited ? $"exited with code {_process.ExitCode}" : "stopped taking frames")).TrimEnd('.');
        // EFBIG, or ffmpeg killed by SIGXFSZ (exit 128 + 25) when it does not ignore that signal.
        if (text.Contains("File too large", StringComparison.OrdinalIgnoreCase) || (_lastError is null && _process.HasExited && _process.ExitCode == 153))
            text += " (the file reached the file-size limit, ulimit -f, or the file system's largest file)";
        return text;
    }

    /// <summary>Closes ffmpeg's input and waits for it to finish the file; throws when it failed.</summary>
    public void Complete()
    {
        if (_completed || _disposed) return;
        _completed = true;
        try { _stdin?.Close(); }
        catch (IOException) { /* it had already stopped: reported below */ }
        _stdin = null;
        if (!_exited.Wait(TimeSpan.FromSeconds(60)))
        {
            Kill();
            throw new PoseTrackException($"Writing {What} '{Path}' failed: ffmpeg did not finish the file within 60 s");
        }
        _process.WaitForExit();
        if (_process.ExitCode != 0)
            throw new PoseTrackException($"Writing {What} '{Path}' failed: ffmpeg: {Problem()}");
        // ffmpeg exits 0 with a cut file when its last writes were refused (see RefusedWrite).
        if (DiskSpace.FileSizeLimit() is { } limit && _lock.Length >= limit)
            throw new PoseTrackException($"Writing {What} '{Path}' failed: the file reached the file-size limit (ulimit -f) while ffmpeg finished it");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_completed)
        {
            // Not completed (an error elsewhere): close the input so ffmpeg still finishes what it has.
            try { _stdin?.Close(); } catch (IOException) { }
            if (!_exited.Wait(TimeSpan.FromSeconds(10))) Kill();
        }
        else if (!_exited.Wait(TimeSpan.FromSeconds(1))) Kill();
        _keeper.Join(TimeSpan.FromSeconds(5));
        _process.Dispose();
        _lock.Dispose();
        _frames.Dispose();
        _i420.Dispose();
    }

    private void Kill()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception) { }
    }

    private void Keep(ManualResetEventSlim started)
    {
        try
        {
            try { _process.Start(); }
            catch (Exception e) { _startError = e; return; }
            finally { started.Set(); }
            _process.StandardOutput.Close();
            string? line;
            while ((line = _process.StandardError.ReadLine()) is not null)
                if (line.Trim().Length > 0) lock (_gate) _lastError = Secrets.Redact(line.Trim());
            _process.WaitForExit();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { }
        finally { _exited.Set(); }
    }
}
