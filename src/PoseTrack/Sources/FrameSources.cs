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
    /// scheme (<c>rtsp://</c>, <c>http(s)://</c>, …) is a network stream (<c>file://</c> is a local path), an
    /// existing folder is an image folder, anything else a video file.
    /// </summary>
    /// <exception cref="PoseTrackException">The input cannot be opened; the message names it and says why.</exception>
    public static IFrameSource Open(string input, FrameSourceOptions? options = null)
    {
        options ??= new FrameSourceOptions();
        options.Validate();
        if (string.IsNullOrWhiteSpace(input))
            throw new PoseTrackException("no input given (a video file, image folder, camera index or stream URL)");

        if (TryParseCamera(input, out var index))
            return new CameraSource(index, options);

        if (UrlScheme().IsMatch(input))
        {
            if (input.StartsWith("file://", StringComparison.OrdinalIgnoreCase)
                && Uri.TryCreate(input, UriKind.Absolute, out var fileUri))
                return OpenPath(fileUri.LocalPath, options);
            return new StreamSource(input, options);
        }
        return OpenPath(input, options);
    }

    private static IFrameSource OpenPath(string path, FrameSourceOptions options) =>
        Directory.Exists(path) ? new ImageFolderSource(path, options) : new VideoFileSource(path);

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
