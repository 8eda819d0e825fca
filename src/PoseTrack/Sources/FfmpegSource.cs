using System.Collections.Concurrent;
using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Sources;

/// <summary>
/// Frames decoded by the system's <c>ffmpeg</c> program running as a child process: standard input
/// (<c>--input -</c>), a named pipe (FIFO), or any other input ffmpeg can open. ffmpeg decodes the first video
/// stream to raw BGR24 on its standard output; each <see cref="Read"/> reads exactly one frame (width × height × 3
/// bytes) from that pipe straight into the caller's <see cref="Mat"/>. Every frame is delivered, at the pipeline's
/// pace (the pipe applies backpressure to ffmpeg and through it to the writer), so the source is not live; the end
/// of the input is a normal end.
/// </summary>
/// <remarks>
/// <para>Command: <c>ffmpeg -hide_banner -nostats -loglevel level+info [-nostdin] -i INPUT -map 0:v:0 -an -sn -dn
/// -fps_mode passthrough -f rawvideo -pix_fmt bgr24 pipe:1</c>. Standard input is inherited (not redirected) when
/// the input is standard input, and ffmpeg is told <c>-nostdin</c> otherwise.</para>
/// <para>Size and rate: a pipe cannot be probed first (that would consume it), so they are read from the stream
/// description ffmpeg prints on stderr when its output starts (<c>Output #0, rawvideo … Stream #0:0: Video: rawvideo
/// … bgr24(…), 768x576, … 10 fps</c>). ffmpeg prints it once the first frame is decoded and before it writes any
/// frame, so the constructor returns with the first frame waiting in the pipe. That line describes exactly the
/// frames that follow (after any scaling or pixel conversion), costs nothing per frame and needs no conversion of
/// our own (a yuv4mpegpipe header would give the same numbers, but YUV frames that would then have to be converted
/// here, not by ffmpeg's swscale as OpenCV's own FFmpeg backend does). ffmpeg prints rates rounded to two decimals;
/// 23.98, 29.97 and 59.94 are taken as the NTSC rates 24000/1001, 30000/1001 and 60000/1001.</para>
/// <para>Timestamps: rawvideo carries none, so with <c>-fps_mode passthrough</c> (every decoded frame once, none
/// duplicated or dropped to force a constant rate) a frame's time is its index × 1000 / rate. Exact for
/// constant-rate streams; a variable-rate stream gets evenly spaced times.</para>
/// <para>Errors: <c>-loglevel level+info</c> tags each stderr line with its level, so the last <c>[error]</c> or
/// <c>[fatal]</c> line is what a failure reports ("pipe:0: Invalid data found when processing input"); when ffmpeg
/// fails before its output starts the constructor throws a <see cref="PoseTrackException"/> with that line.
/// A missing ffmpeg is reported with the package to install.</para>
/// <para>The child never outlives the source: <see cref="Dispose"/> kills it (whole process tree). On Linux it is
/// started through util-linux's <c>setpriv --pdeathsig KILL</c> (which then becomes ffmpeg: same pid), from a
/// thread that lives until the child exits, so the kernel kills it even when this process is killed with SIGKILL;
/// without setpriv, ffmpeg still dies on its next write to the closed pipe.</para>
/// </remarks>
public sealed partial class FfmpegSource : IFrameSource, IReportsEarlyEnd
{
    /// <summary>The Debian/Ubuntu package that provides the <c>ffmpeg</c> program.</summary>
    public const string Package = "ffmpeg";

    private const int KeptLines = 20;

    private readonly Process _process;
    private readonly Stream _stdout;
    private readonly Thread _keeper;
    private readonly ILogger? _logger;
    private readonly ManualResetEventSlim _headerSeen = new(false);
    private readonly ManualResetEventSlim _exited = new(false);
    private readonly Queue<string> _lastLines = new();
    private readonly object _gate = new();
    private readonly int _frameBytes;
    private string? _lastError;
    private bool _inOutput;
    private bool _signalled;      // ffmpeg said "received signal N" (Ctrl+C reached it too): not a failure
    private string? _streamLine;
    private Exception? _startError;
    private bool _ended;
    private bool _disposed;
    private volatile bool _stopping;  // the child was ended on purpose (cancel, dispose): its exit code is no failure
    private readonly BlockingCollection<double>? _frameTimes;  // ms per frame from showinfo, when asked for
    private double _timeBase = double.NaN;                      // seconds per pts unit of showinfo's input
    private readonly I420ToBgr? _converter;                     // I420 on the pipe, converted here (bit-exact with OpenCV)
    private readonly byte[]? _i420;
    private string? _inputVideoLine;                            // ffmpeg's description of the input's video stream
    private bool _inputRotated;                                 // the input carries a rotation (display matrix)
    private CancellationTokenRegistration _stopOnCancel;

    /// <summary>
    /// Starts ffmpeg on <paramref name="input"/>: <c>-</c>, <c>pipe:</c> or <c>pipe:0</c> for standard input, else a
    /// path (a FIFO, or any file ffmpeg reads), and waits until it has described the stream.
    /// </summary>
    /// <param name="input">What to read, as the user named it.</param>
    /// <param name="options">Logger for ffmpeg's pid, command and warnings (debug level).</param>
    /// <param name="cancel">Stops reading: before the stream starts (a FIFO without a writer waits for one) the
    /// constructor throws; afterwards ffmpeg is ended, so a read blocked on a stalled pipe returns and the next read
    /// reports the end.</param>
    /// <param name="ffmpegPath">The ffmpeg program; null = <c>ffmpeg</c> on PATH.</param>
    /// <exception cref="PoseTrackException">ffmpeg is missing, or cannot open or decode the input.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> fired before the stream started.</exception>
    public FfmpegSource(string input, FrameSourceOptions? options = null, CancellationToken cancel = default, string? ffmpegPath = null)
        : this(input, InputArguments(input, out var stdin), stdin, options, cancel, ffmpegPath)
    {
    }

    /// <summary>
    /// Starts ffmpeg with its own input options (format, device, …) and waits until it has described the stream.
    /// </summary>
    /// <param name="description">The input as the user named it (for messages and <see cref="SourceInfo.Description"/>).</param>
    /// <param name="inputArguments">ffmpeg arguments up to and including <c>-i INPUT</c>.</param>
    /// <param name="readsStdin">True when the input is standard input: it is inherited, and <c>-nostdin</c> is not given.</param>
    /// <param name="options">Logger for ffmpeg's pid, command and warnings (debug level).</param>
    /// <param name="cancel">Stops reading (see the other constructor).</param>
    /// <param name="ffmpegPath">The ffmpeg program; null = <c>ffmpeg</c> on PATH.</param>
    /// <exception cref="PoseTrackException">ffmpeg is missing, or cannot open or decode the input.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> fired before the stream started.</exception>
    public FfmpegSource(string description, IReadOnlyList<string> inputArguments, bool readsStdin,
        FrameSourceOptions? options = null, CancellationToken cancel = default, string? ffmpegPath = null)
        : this(description, inputArguments, readsStdin, options, cancel, ffmpegPath, openTimeout: null, extraInputFlags: null, frameTimes: false)
    {
    }

    /// <summary>As the public constructor; <paramref name="openTimeout"/> bounds the wait for the first frame (a network
    /// stream that never answers), after which ffmpeg is ended and a <see cref="PoseTrackException"/> thrown;
    /// <paramref name="extraInputFlags"/> go before the input arguments (live: <c>-thread_type slice</c>);
    /// <paramref name="frameTimes"/> takes each frame's time from its timestamp (ffmpeg's <c>showinfo</c> filter, which
    /// prints it on stderr before the frame reaches the pipe) instead of index × 1000 / rate; <paramref name="i420"/> has
    /// ffmpeg send yuv420p, converted to BGR here by <see cref="I420ToBgr"/> (the caller checks it is available).</summary>
    internal FfmpegSource(string description, IReadOnlyList<string> inputArguments, bool readsStdin,
        FrameSourceOptions? options, CancellationToken cancel, string? ffmpegPath, TimeSpan? openTimeout, IReadOnlyList<string>? extraInputFlags,
        bool frameTimes = false, bool i420 = false)
    {
        if (frameTimes) _frameTimes = new BlockingCollection<double>();
        _logger = options?.Logger;
        if (readsStdin && !Console.IsInputRedirected)
            throw new PoseTrackException($"input {description} reads a video from standard input, but standard input is a terminal: "
                + "pipe a video into it (e.g. ffmpeg -i video.mp4 -f matroska - | posetrack --input -)");
        var ffmpeg = (ffmpegPath is null ? FindOnPath("ffmpeg") : File.Exists(ffmpegPath) ? ffmpegPath : null)
            ?? throw new PoseTrackException($"input {description} is read with ffmpeg, which is not installed "
                + $"(Debian/Ubuntu: sudo apt-get install -y {Package})");

        var args = new List<string> { "-hide_banner", "-nostats", "-loglevel", "level+info" };
        if (!readsStdin) args.Add("-nostdin");
        if (extraInputFlags is not null) args.AddRange(extraInputFlags);
        args.AddRange(inputArguments);
        args.AddRange(["-map", "0:v:0", "-an", "-sn", "-dn", "-fps_mode", "passthrough"]);
        // showinfo without its per-plane checksums: only the timestamps are wanted, not a pass over every pixel.
        if (frameTimes) args.AddRange(["-vf", "showinfo=checksum=0"]);
        args.AddRange(["-f", "rawvideo", "-pix_fmt", i420 ? "yuv420p" : "bgr24", "pipe:1"]);

        var psi = ChildStartInfo(ffmpeg, args);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = !readsStdin;

        Description = description;
        _process = new Process { StartInfo = psi };
        using var started = new ManualResetEventSlim(false);
        // PR_SET_PDEATHSIG fires when the thread that forked the child ends, not only the process, so the child is
        // started from a thread of its own that stays until the child has exited (it reads ffmpeg's stderr meanwhile).
        _keeper = new Thread(() => Keep(started)) { IsBackground = true, Name = "ffmpeg stderr" };
        _keeper.Start();
        started.Wait(CancellationToken.None);
        if (_startError is not null)
        {
            _process.Dispose();
            throw _startError is Win32Exception
                ? new PoseTrackException($"input {description}: ffmpeg ({ffmpeg}) cannot be started ({_startError.Message}); "
                    + $"install it with: sudo apt-get install -y {Package}", inner: _startError)
                : new PoseTrackException($"input {description}: ffmpeg cannot be started ({_startError.Message})", inner: _startError);
        }
        _stdout = _process.StandardOutput.BaseStream;
        if (!readsStdin) _process.StandardInput.Close();
        ProcessId = _process.Id;
        _logger?.LogDebug("ffmpeg pid {Pid}: {Command}", ProcessId, string.Join(' ', psi.ArgumentList.Prepend(psi.FileName)));

        try
        {
            int which = WaitHandle.WaitAny([_headerSeen.WaitHandle, _exited.WaitHandle, cancel.WaitHandle],
                openTimeout is { } limit ? (int)Math.Clamp(limit.TotalMilliseconds, 1, int.MaxValue) : Timeout.Infinite);
            cancel.ThrowIfCancellationRequested();
            if (which == WaitHandle.WaitTimeout)
                throw new PoseTrackException(string.Create(CultureInfo.InvariantCulture,
                    $"input {description}: no video within {openTimeout!.Value.TotalSeconds:0.#} s{(LastProblem() is { } p ? " (ffmpeg: " + Secrets.Redact(p) + ")" : "")}"));
            if (which != 0 && !_headerSeen.IsSet)
                throw new PoseTrackException($"input {description}: ffmpeg cannot read it: {Secrets.Redact(LastProblem() ?? "it ended without a video frame")}");
            var info = ParseStream(_streamLine!)
                ?? throw new PoseTrackException($"input {description}: ffmpeg's stream description was not understood: {_streamLine}");
            _frameBytes = checked(info.Width * info.Height * 3);
            if (i420)
            {
                _converter = new I420ToBgr(info.Width, info.Height);
                _i420 = new byte[_converter.FrameBytes];
            }
            Info = new SourceInfo(description, info.Width, info.Height, info.Fps, null, IsLive: false);
            _stopOnCancel = cancel.Register(StopChild);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public SourceInfo Info { get; } = null!;

    /// <summary>The input as the user named it.</summary>
    public string Description { get; }

    /// <summary>
    /// Pixel format of the input's video stream as ffmpeg names it (<c>yuv420p</c>, <c>yuvj420p</c>, <c>yuv422p10le</c>…),
    /// from its description of the input ("Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 768x576, …");
    /// null when not given.
    /// </summary>
    internal string? InputPixelFormat => _inputVideoLine is null ? null : PixelFormatOf(_inputVideoLine);

    /// <summary>True when the input's video carries a rotation (ffmpeg then turns the frames upright).</summary>
    internal bool InputRotated => _inputRotated;

    /// <summary>The pixel format field of an ffmpeg stream description: the second comma-separated field after
    /// "Video: " (commas inside parentheses do not count), up to its parenthesis.</summary>
    internal static string? PixelFormatOf(string streamLine)
    {
        int at = streamLine.IndexOf(": Video: ", StringComparison.Ordinal);
        if (at < 0) return null;
        int depth = 0, field = 0, start = -1;
        for (int i = at + ": Video: ".Length; i < streamLine.Length; i++)
        {
            char c = streamLine[i];
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (c == ',' && depth == 0)
            {
                if (++field == 1) start = i + 1;
                else return Name(start, i);
            }
        }
        return field == 1 ? Name(start, streamLine.Length) : null;

        string? Name(int from, int to)
        {
            var text = streamLine[from..to].Trim();
            int paren = text.IndexOf('(');
            var name = (paren >= 0 ? text[..paren] : text).Trim();
            return name.Length > 0 ? name : null;
        }
    }

    /// <summary>Process id of the ffmpeg child (for diagnostics and tests).</summary>
    public int ProcessId { get; }

    /// <summary>Frames delivered so far.</summary>
    public long FramesRead { get; private set; }

    /// <summary>ffmpeg's exit code once the input has ended, else null.</summary>
    public int? ExitCode { get; private set; }

    /// <summary>
    /// Null when the input ended normally (ffmpeg exited with 0, or was stopped by a signal such as the Ctrl+C
    /// that also stopped the run); else ffmpeg's exit code and last error line.
    /// </summary>
    public string? EarlyEnd => _ended && ExitCode is int code && code != 0 && !_signalled && !_stopping
        ? $"ffmpeg stopped with exit code {code} after frame {FramesRead}: {Secrets.Redact(LastProblem() ?? "no error line")}"
        : null;

    /// <inheritdoc/>
    /// <remarks>
    /// Reads exactly one frame into <paramref name="frame"/>, reusing its buffer when it is already a continuous
    /// <c>CV_8UC3</c> image of the stream's size. A short read (end of the pipe, possibly inside a frame) is the end.
    /// Time: index × 1000 / rate.
    /// </remarks>
    public bool Read(Mat frame, out double timeMs)
    {
        timeMs = 0;
        if (_ended || _disposed) return false;
        frame.Create(Info.Height, Info.Width, MatType.CV_8UC3);
        int got;
        try
        {
            if (_converter is not null)
            {
                got = _stdout.ReadAtLeast(_i420, _i420!.Length, throwOnEndOfStream: false) == _i420.Length ? _frameBytes : -1;
                if (got == _frameBytes)
                    lock (_converter)
                    {
                        // Disposed meanwhile (the run was stopped): the frame is not wanted.
                        if (_disposed) return false;
                        _converter.Convert(_i420, frame);
                    }
            }
            else if (frame.IsContinuous()) got = ReadInto(frame);
            else
            {
                var buffer = ArrayPool<byte>.Shared.Rent(_frameBytes);
                try
                {
                    got = _stdout.ReadAtLeast(buffer.AsSpan(0, _frameBytes), _frameBytes, throwOnEndOfStream: false);
                    if (got == _frameBytes)
                    {
                        using var wrapped = Mat.FromPixelData(Info.Height, Info.Width, MatType.CV_8UC3, buffer);
                        wrapped.CopyTo(frame);
                    }
                }
                finally { ArrayPool<byte>.Shared.Return(buffer); }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            got = -1;
            if (_disposed) return false;
            _lastError ??= e.Message;
        }

        if (got != _frameBytes)
        {
            End();
            return false;
        }
        timeMs = FramesRead * 1000.0 / Info.Fps;
        // showinfo logged this frame before ffmpeg wrote it to the pipe; the stderr thread may just not have read it
        // yet. No line (ffmpeg ended, a frame without timestamp) leaves index / rate.
        if (_frameTimes is not null && _frameTimes.TryTake(out var stamped, TimeSpan.FromSeconds(5)) && double.IsFinite(stamped))
            timeMs = stamped;
        FramesRead++;
        return true;
    }

    /// <summary>Ends ffmpeg (and anything it started) if it is still running, and releases the pipes.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stopOnCancel.Dispose();
        StopChild();
        _keeper.Join(TimeSpan.FromSeconds(5));
        _process.Dispose();
        _headerSeen.Dispose();
        if (_converter is not null) lock (_converter) _converter.Dispose();
    }

    /// <summary>Ends ffmpeg now (a stalled network stream): a read blocked on the pipe returns, and the source ends.</summary>
    internal void Stop() => StopChild();

    /// <summary>ffmpeg's last error line (or its last line), credentials hidden; null when it printed nothing.</summary>
    internal string? Problem => LastProblem() is { } p ? Secrets.Redact(p) : null;

    private void StopChild()
    {
        _stopping = true;
        try
        {
            if (!_exited.IsSet && !_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }

    private unsafe int ReadInto(Mat frame)
    {
        var span = new Span<byte>((void*)frame.Data, _frameBytes);
        return _stdout.ReadAtLeast(span, _frameBytes, throwOnEndOfStream: false);
    }

    /// <summary>After the last frame: waits for ffmpeg to exit so its exit code and last error are known.</summary>
    private void End()
    {
        _ended = true;
        if (_exited.Wait(TimeSpan.FromSeconds(10)) && _process.HasExited) ExitCode = _process.ExitCode;
        else
        {
            // Closed its output but did not exit: not waiting on it any longer.
            _lastError ??= "ffmpeg closed its output but did not exit";
            ExitCode = -1;
            StopChild();
            _stopping = false;  // still a failure
        }
    }

    /// <summary>The keeper thread: starts the child, then reads its stderr until it closes, then reaps it.</summary>
    private void Keep(ManualResetEventSlim started)
    {
        try
        {
            try { _process.Start(); }
            catch (Exception e) { _startError = e; return; }
            finally { started.Set(); }

            string? line;
            while ((line = _process.StandardError.ReadLine()) is not null) OnStderr(line);
            _process.WaitForExit();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The process was disposed under us: nothing more to read.
        }
        finally
        {
            _frameTimes?.CompleteAdding();
            _exited.Set();
        }
    }

    private void OnStderr(string raw)
    {
        if (_frameTimes is not null && raw.StartsWith("[Parsed_showinfo", StringComparison.Ordinal))
        {
            OnShowInfo(raw);
            return;
        }
        var level = LevelTag().Match(raw);
        var text = Pointer().Replace(LevelTag().Replace(raw, "", 1), "").Trim();
        if (text.Length == 0) return;
        lock (_gate)
        {
            _lastLines.Enqueue(text);
            if (_lastLines.Count > KeptLines) _lastLines.Dequeue();
            if (level.Success && level.Groups[1].Value is "error" or "fatal" or "panic") _lastError = text;
        }
        if (text.StartsWith("Exiting normally, received signal", StringComparison.Ordinal)) _signalled = true;
        if (!_headerSeen.IsSet)
        {
            if (!_inOutput && _inputVideoLine is null && text.StartsWith("Stream #0:", StringComparison.Ordinal) && text.Contains(": Video: ", StringComparison.Ordinal))
                _inputVideoLine = text;
            if (!_inOutput && Rotation().Match(text) is { Success: true } rotation
                && Math.Abs(double.Parse(rotation.Groups[1].Value, CultureInfo.InvariantCulture)) >= 0.5) _inputRotated = true;
            if (text.StartsWith("Output #0", StringComparison.Ordinal)) _inOutput = true;
            else if (_inOutput && text.StartsWith("Stream #0:0", StringComparison.Ordinal) && text.Contains(": Video: ", StringComparison.Ordinal))
            {
                _streamLine = text;
                _headerSeen.Set();
            }
        }
        if (level.Success && level.Groups[1].Value is not "info") _logger?.LogDebug("ffmpeg: {Line}", text);
    }

    /// <summary>
    /// A <c>showinfo</c> line: the input time base once ("config in time_base: 1/10240"), then one line per frame
    /// ("n:   3 pts:   3072 pts_time:0.3 …"). The time is computed from the integer pts (pts_time is printed to six
    /// significant digits: 10 ms steps after an hour). Other showinfo lines (side data) are dropped.
    /// </summary>
    private void OnShowInfo(string raw)
    {
        var frame = ShowInfoFrame().Match(raw);
        if (frame.Success)
        {
            double ms = long.TryParse(frame.Groups[1].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pts)
                ? pts * _timeBase * 1000.0 : double.NaN;
            _frameTimes!.Add(ms);
            return;
        }
        var tb = ShowInfoTimeBase().Match(raw);
        if (tb.Success && long.TryParse(tb.Groups[1].Value, CultureInfo.InvariantCulture, out var num)
            && long.TryParse(tb.Groups[2].Value, CultureInfo.InvariantCulture, out var den) && num > 0 && den > 0)
            _timeBase = (double)num / den;
    }

    private string? LastProblem()
    {
        lock (_gate) return _lastError ?? _lastLines.LastOrDefault();
    }

    /// <summary>Size and rate from ffmpeg's output stream line; null when it has no size.</summary>
    internal static (int Width, int Height, double Fps)? ParseStream(string line)
    {
        var size = Size().Match(line);
        if (!size.Success) return null;
        int w = int.Parse(size.Groups[1].Value, CultureInfo.InvariantCulture), h = int.Parse(size.Groups[2].Value, CultureInfo.InvariantCulture);
        if (w <= 0 || h <= 0) return null;
        var rate = Rate().Match(line);
        double fps = double.NaN;
        if (rate.Success)
        {
            fps = double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture) * (rate.Groups[2].Value == "k" ? 1000 : 1);
            // ffmpeg prints rates to two decimals: 23.98 is 24000/1001.
            double n = Math.Round(fps * 1.001);
            if (Math.Abs(fps - Math.Round(fps)) > 0.005 && Math.Abs(fps - n * 1000 / 1001) < 0.006) fps = n * 1000 / 1001;
        }
        return (w, h, FrameSourceOptions.UsableFps(fps));
    }

    /// <summary>The ffmpeg input arguments for what the user typed; <paramref name="stdin"/> when it is standard input.</summary>
    internal static List<string> InputArguments(string input, out bool stdin)
    {
        stdin = IsStdin(input);
        // "file:" keeps a path with a colon from being taken for a protocol.
        return ["-i", stdin ? "pipe:0" : "file:" + Path.GetFullPath(input)];
    }

    /// <summary>True for the names of standard input: <c>-</c>, <c>pipe:</c>, <c>pipe:0</c>.</summary>
    public static bool IsStdin(string input) => input is "-" or "pipe:" or "pipe:0";

    /// <summary>
    /// How an ffmpeg child is started (decoder or encoder): on Linux through <c>setsid</c>, so the terminal's Ctrl+C
    /// reaches only posetrack, which stops reading and finalises its outputs in order (ffmpeg would otherwise get the
    /// same SIGINT, stop mid-stream and fail the drain), and <c>setpriv --pdeathsig KILL</c>, so the child dies with
    /// posetrack even when posetrack is killed. <c>setsid</c> execs in place (the child is no group leader), so the
    /// death signal is set on ffmpeg itself. Either tool missing (both are util-linux, essential on Debian) leaves it out.
    /// </summary>
    internal static ProcessStartInfo ChildStartInfo(string ffmpeg, IEnumerable<string> ffmpegArguments)
    {
        var prefix = new List<string>();
        if (OperatingSystem.IsLinux())
        {
            if (FindOnPath("setsid") is { } setsid) prefix.Add(setsid);
            if (FindOnPath("setpriv") is { } setpriv) prefix.AddRange([setpriv, "--pdeathsig", "KILL", "--"]);
        }
        prefix.Add(ffmpeg);
        var psi = new ProcessStartInfo(prefix[0]) { UseShellExecute = false };
        foreach (var a in prefix.Skip(1).Concat(ffmpegArguments)) psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>
    /// <c>-threads 1</c> on machines of up to 4 cores, nothing (ffmpeg's own choice) above: for the file decoder and
    /// the mpeg4 writer. ffmpeg's threads cost processor time (1920×1440 on 2 cores: H.264 decoding 19.5 ms a frame
    /// with its automatic threads, 13.8 with one; mpeg4 encoding 23 against 20.5), and on a small machine every core
    /// is already busy with the models, so the cheaper single thread gives the higher rate (one thread still decodes
    /// 1920×1440 at about 70 fps and encodes it at about 50).
    /// </summary>
    internal static string[] SmallMachineThreads() => Environment.ProcessorCount <= 4 ? ["-threads", "1"] : [];

    /// <summary>Full path of an executable named <paramref name="name"/> on PATH, or null.</summary>
    internal static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate) && (OperatingSystem.IsWindows()
                    || (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0))
                return candidate;
            if (OperatingSystem.IsWindows() && File.Exists(candidate + ".exe")) return candidate + ".exe";
        }
        return null;
    }

    [GeneratedRegex(@"\[(panic|fatal|error|warning|info|verbose|debug|trace)\] ")]
    private static partial Regex LevelTag();

    [GeneratedRegex(@" @ 0x[0-9a-fA-F]+")]
    private static partial Regex Pointer();

    // ", 768x576," or ", 768x576 [SAR 1:1 …]" – not the codec tag "/ 0x18524742".
    [GeneratedRegex(@", (\d{1,5})x(\d{1,5})(?=[ ,]|$)")]
    private static partial Regex Size();

    [GeneratedRegex(@"\] n:\s*\d+ pts:\s*(-?\d+|NOPTS) ")]
    private static partial Regex ShowInfoFrame();

    [GeneratedRegex(@"\] config in time_base: (\d+)/(\d+)")]
    private static partial Regex ShowInfoTimeBase();

    [GeneratedRegex(@"^displaymatrix: rotation of (-?\d+(?:\.\d+)?) degrees")]
    private static partial Regex Rotation();

    [GeneratedRegex(@", (\d+(?:\.\d+)?)(k?) fps")]
    private static partial Regex Rate();
}
