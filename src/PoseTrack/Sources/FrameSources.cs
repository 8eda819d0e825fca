using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using PoseTrack.Core;

namespace PoseTrack.Sources;

/// <summary>Opens the right <see cref="IFrameSource"/> for what the user typed as input.</summary>
public static partial class FrameSources
{
    /// <summary>
    /// Opens <paramref name="input"/>: a non-negative integer (or <c>/dev/videoN</c>) is a camera, a URL with a
    /// scheme (<c>rtsp://</c>, <c>http(s)://</c>, <c>udp://</c>, …) is a live network stream read through ffmpeg
    /// (<see cref="NetworkSource"/>; <c>file://</c> is a local path),
    /// <c>-</c> (or <c>pipe:</c>, <c>pipe:0</c>) is a video stream on standard input and a named pipe (FIFO) one
    /// written into that pipe (both read by <see cref="FfmpegSource"/>; a file called "-" must be given as "./-"),
    /// an existing folder is an image folder, anything else a video file (decoded as
    /// <see cref="FrameSourceOptions.Decoder"/> says: by default an ffmpeg child where its frames are OpenCV's to the
    /// bit, else OpenCV).
    /// </summary>
    /// <exception cref="PoseTrackException">The input cannot be opened; the message names it and says why.</exception>
    public static IFrameSource Open(string input, FrameSourceOptions? options = null) => Open(input, options, CancellationToken.None);

    /// <inheritdoc cref="Open(string, FrameSourceOptions?)"/>
    /// <param name="input">What the user typed as input.</param>
    /// <param name="options">How the source behaves.</param>
    /// <param name="cancel">Cancels opening a pipe or stream, which waits until the first frame has arrived; for a
    /// network stream it also ends reading (and any reconnect wait) when the run is stopped.</param>
    public static IFrameSource Open(string input, FrameSourceOptions? options, CancellationToken cancel)
    {
        options ??= new FrameSourceOptions();
        options.Validate();
        if (string.IsNullOrWhiteSpace(input))
            throw new PoseTrackException("no input given (a video file, image folder, camera index or stream URL)");

        if (FfmpegSource.IsStdin(input) || IsFifo(input))
            return new FfmpegSource(input, options, cancel);

        if (TryParseCamera(input, out var index))
            return new CameraSource(index, options);

        if (UrlScheme().IsMatch(input))
        {
            if (input.StartsWith("file://", StringComparison.OrdinalIgnoreCase)
                && Uri.TryCreate(input, UriKind.Absolute, out var fileUri))
                return OpenPath(fileUri.LocalPath, options);
            if (NetworkSource.Handles(input)) return new NetworkSource(input, options, cancel);
            var scheme = input[..input.IndexOf("://", StringComparison.Ordinal)];
            throw new PoseTrackException($"input {Secrets.Redact(input)}: unsupported URL scheme '{scheme}' "
                + "(network streams: rtsp, rtsps, http, https, udp, srt, rtmp, rtmps, tcp; local files: file:// or a path)");
        }
        return OpenPath(input, options);
    }

    private static IFrameSource OpenPath(string path, FrameSourceOptions options)
    {
        if (Directory.Exists(path)) return new ImageFolderSource(path, options);
        return options.Decoder switch
        {
            VideoDecoder.Ffmpeg => new FfmpegFileSource(path, options),
            VideoDecoder.OpenCv => new VideoFileSource(path),
            // The ffmpeg child only where its frames are OpenCV's to the bit, so the choice never changes a result.
            _ => (FfmpegSource.FindOnPath("ffmpeg") is not null ? FfmpegFileSource.TryOpenIdentical(path, options) : null)
                 ?? (IFrameSource)new VideoFileSource(path),
        };
    }

    /// <summary>True when <paramref name="path"/> is a named pipe (FIFO), found with statx(2), whose layout is the
    /// same on every Linux architecture (.NET's file attributes do not tell a FIFO from a regular file).</summary>
    internal static unsafe bool IsFifo(string path)
    {
        if (!OperatingSystem.IsLinux()) return false;
        const int AtFdCwd = -100, StatxType = 0x1, StxModeOffset = 28, SIfMt = 0xF000, SIfIfo = 0x1000;
        var buffer = stackalloc byte[256];  // struct statx
        try
        {
            if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0) return false;
        }
        catch (EntryPointNotFoundException) { return false; }  // glibc before 2.28
        return (*(ushort*)(buffer + StxModeOffset) & SIfMt) == SIfIfo;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    /// <summary>"0", "2" or "/dev/video2" name a camera; a file literally called "0" must be given as "./0".</summary>
    internal static bool TryParseCamera(string input, out int index)
    {
        var s = input.Trim();
        if (s.StartsWith("/dev/video", StringComparison.Ordinal)) s = s["/dev/video".Length..];
        return int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    /// <summary>
    /// Stops OpenCV and its FFmpeg from printing their own warnings to stderr (e.g. "moov atom not found",
    /// "Invalid NAL unit size", "can't open camera by index"); the sources already turn those failures into one
    /// clear message. Process-wide: call once at start-up, before the first source is opened.
    /// </summary>
    public static void SilenceNativeLogs()
    {
        // OpenCV reads this variable from the native environment when FFmpeg is first used; .NET's
        // Environment.SetEnvironmentVariable does not reach the native environment on Unix.
        if (!OperatingSystem.IsWindows()) _ = SetEnv("OPENCV_FFMPEG_LOGLEVEL", "-8", 1);  // AV_LOG_QUIET
        OpenCvSharp.Cv2.SetLogLevel(OpenCvSharp.LogLevel.ERROR);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.\-]*://")]
    private static partial Regex UrlScheme();
}
