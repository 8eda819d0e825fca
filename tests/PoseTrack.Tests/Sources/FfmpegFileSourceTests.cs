using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Sources;

namespace PoseTrack.Tests.Sources;

/// <summary>
/// Video files decoded by an ffmpeg child: by default only where every frame is OpenCV's to the bit (so the choice of
/// decoder changes no result), with OpenCV's messages, early-end reports, timestamps and seeking.
/// </summary>
public sealed class FfmpegFileSourceTests
{
    private static bool HaveFfmpeg()
    {
        if (FfmpegSource.FindOnPath("ffmpeg") is not null && FfmpegSource.FindOnPath("ffprobe") is not null) return true;
        Assert.True(Environment.GetEnvironmentVariable("CI") is null, "CI is set but ffmpeg is missing (scripts/setup.sh installs it)");
        return false;
    }

    /// <summary>Makes a test video from the sample with ffmpeg (its first <paramref name="frames"/> frames).</summary>
    private static string Make(string name, int frames, params string[] outputArgs)
    {
        var path = Path.Combine(TestData.TempDir(), name);
        var r = CliProcess.RunProgram("ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", TestData.Shared("data", "video", "vtest_10s.mp4"),
            "-frames:v", frames.ToString(System.Globalization.CultureInfo.InvariantCulture), .. outputArgs, "-y", path], TimeSpan.FromMinutes(2));
        Assert.True(r.ExitCode == 0, r.Stderr);
        return path;
    }

    private static List<(Mat Frame, double Ms)> ReadAll(IFrameSource source)
    {
        var all = new List<(Mat, double)>();
        var m = new Mat();
        while (source.Read(m, out var t)) { all.Add((m, t)); m = new Mat(); }
        m.Dispose();
        return all;
    }

    private static void AssertSameFrames(List<(Mat Frame, double Ms)> expected, List<(Mat Frame, double Ms)> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Frame.Size(), actual[i].Frame.Size());
            Assert.True(Cv2.Norm(expected[i].Frame, actual[i].Frame, NormTypes.INF) == 0, $"frame {i} differs from OpenCV's");
            Assert.Equal(expected[i].Ms, actual[i].Ms, 3);
        }
    }

    private static void Dispose(List<(Mat Frame, double Ms)> frames)
    {
        foreach (var (m, _) in frames) m.Dispose();
    }

    public static TheoryData<string> Videos => new() { "sample", "tud", "1440", "odd", "vfr" };

    [Theory]
    [MemberData(nameof(Videos))]
    public void Default_decoding_gives_OpenCVs_frames_to_the_bit_and_its_times(string which)
    {
        if (!HaveFfmpeg()) return;
        var path = which switch
        {
            "sample" => TestData.Shared("data", "video", "vtest_10s.mp4"),
            "tud" => TestData.Shared("data", "tracking", "TUD-Campus", "TUD-Campus.mp4"),
            "1440" => Make("big.mp4", 12, "-vf", "scale=1920:1440"),
            // An odd size (chroma planes rounded up), lossless so the test is about conversion only.
            "odd" => Make("odd.mkv", 12, "-vf", "scale=767:575", "-c:v", "ffv1", "-pix_fmt", "yuv420p"),
            // Variable frame rate: every third frame dropped, the others keep their times.
            _ => Make("vfr.mkv", 30, "-vf", "select='mod(n\\,3)'", "-fps_mode", "vfr"),
        };
        using var ffmpeg = FrameSources.Open(path);
        Assert.IsType<FfmpegFileSource>(ffmpeg);
        Assert.True(((FfmpegFileSource)ffmpeg).ConvertsI420);
        using var opencv = new VideoFileSource(path);
        Assert.Equal(opencv.Info, ffmpeg.Info);
        var expected = ReadAll(opencv);
        var actual = ReadAll(ffmpeg);
        try
        {
            AssertSameFrames(expected, actual);
            Assert.False(((FfmpegFileSource)ffmpeg).StoppedEarly);
            Assert.Null(((IReportsEarlyEnd)ffmpeg).EarlyEnd);
            if (which == "vfr") Assert.Contains(actual.Zip(actual.Skip(1)), p => p.Second.Ms - p.First.Ms > 150);   // a gap of two frame times
        }
        finally
        {
            Dispose(expected);
            Dispose(actual);
        }
    }

    [Theory]
    [InlineData("yuvj420p")]   // full-range JPEG frames (MJPEG): ffmpeg would convert them to yuv420p first
    [InlineData("yuv422p")]
    [InlineData("rotated")]
    public void Default_leaves_files_it_cannot_match_to_OpenCV(string which)
    {
        if (!HaveFfmpeg()) return;
        var path = which switch
        {
            "yuvj420p" => Make("mj.avi", 6, "-c:v", "mjpeg", "-pix_fmt", "yuvj420p"),
            "yuv422p" => Make("y422.mp4", 6, "-c:v", "libx264", "-pix_fmt", "yuv422p"),
            // A display matrix (phones): ffmpeg and OpenCV both turn the frames upright, each its own way.
            _ => Make("rot.mp4", 6, "-c", "copy", "-metadata:s:v:0", "rotate=90"),
        };
        using (var chosen = FrameSources.Open(path)) Assert.IsType<VideoFileSource>(chosen);

        // Asked for explicitly, ffmpeg decodes it and converts it itself: within a few grey levels of OpenCV's.
        if (which == "rotated") return;
        using var ffmpeg = FrameSources.Open(path, new FrameSourceOptions { Decoder = VideoDecoder.Ffmpeg });
        Assert.False(Assert.IsType<FfmpegFileSource>(ffmpeg).ConvertsI420);
        using var opencv = new VideoFileSource(path);
        var expected = ReadAll(opencv);
        var actual = ReadAll(ffmpeg);
        try
        {
            Assert.Equal(expected.Count, actual.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                using var diff = new Mat();
                Cv2.Absdiff(expected[i].Frame, actual[i].Frame, diff);
                Assert.True(Cv2.Mean(diff).Val0 < 3, $"frame {i}: mean difference {Cv2.Mean(diff).Val0}");
            }
        }
        finally
        {
            Dispose(expected);
            Dispose(actual);
        }
    }

    [Fact]
    public void OpenCV_decoder_is_kept_when_asked_for()
    {
        using var source = FrameSources.Open(TestData.Shared("data", "video", "vtest_10s.mp4"), new FrameSourceOptions { Decoder = VideoDecoder.OpenCv });
        Assert.IsType<VideoFileSource>(source);
    }

    [Theory]
    [InlineData(VideoDecoder.Auto)]
    [InlineData(VideoDecoder.Ffmpeg)]
    public void Bad_files_get_OpenCVs_messages(VideoDecoder decoder)
    {
        if (!HaveFfmpeg()) return;
        var options = new FrameSourceOptions { Decoder = decoder };
        var dir = TestData.TempDir();
        var missing = Path.Combine(dir, "missing.mp4");
        Assert.Equal($"video file not found: {missing}", Assert.Throws<PoseTrackException>(() => FrameSources.Open(missing, options)).Message);
        var empty = Path.Combine(dir, "empty.mp4");
        File.WriteAllBytes(empty, []);
        Assert.Equal($"video file {empty} is empty (0 bytes)", Assert.Throws<PoseTrackException>(() => FrameSources.Open(empty, options)).Message);
        var text = Path.Combine(dir, "text.mp4");
        File.WriteAllText(text, "not a video");
        Assert.Contains("is not a video FFmpeg can open", Assert.Throws<PoseTrackException>(() => FrameSources.Open(text, options)).Message);
    }

    [Fact]
    public void Truncated_file_reads_what_it_can_and_says_where_it_stopped()
    {
        if (!HaveFfmpeg()) return;
        var bytes = File.ReadAllBytes(TestData.Shared("data", "video", "vtest_10s.mp4"));
        var path = Path.Combine(TestData.TempDir(), "half.mp4");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        using var source = FrameSources.Open(path);
        var file = Assert.IsType<FfmpegFileSource>(source);
        var frames = ReadAll(source);
        Dispose(frames);
        Assert.InRange(frames.Count, 20, 60);   // 30 with ffmpeg 5.1 (-xerror), 33 with OpenCV's reader
        Assert.True(file.StoppedEarly);
        Assert.StartsWith($"video file {path} stopped at frame {frames.Count} of 100 (truncated or corrupt", file.EarlyEnd);
        for (var i = 1; i < frames.Count; i++) Assert.True(frames[i].Ms > frames[i - 1].Ms);
    }

    [Fact]
    public void Damage_in_the_middle_stops_there_instead_of_handing_out_concealed_frames()
    {
        if (!HaveFfmpeg()) return;
        var bytes = File.ReadAllBytes(TestData.Shared("data", "video", "vtest_10s.mp4"));
        Array.Clear(bytes, bytes.Length / 3, bytes.Length / 6);
        var path = Path.Combine(TestData.TempDir(), "holed.mp4");
        File.WriteAllBytes(path, bytes);

        using var source = FrameSources.Open(path);
        var file = Assert.IsType<FfmpegFileSource>(source);
        var frames = ReadAll(source);
        Dispose(frames);
        // Without -xerror ffmpeg conceals the damage and hands out 102 frames of a 100-frame file.
        Assert.InRange(frames.Count, 1, 60);   // 12 with ffmpeg 5.1, 13 with OpenCV's reader
        Assert.True(file.StoppedEarly);
        Assert.StartsWith($"video file {path} stopped at frame {frames.Count} of 100", file.EarlyEnd);
    }

    [Theory]
    [InlineData("video/vtest_10s.mp4", 6000)]
    [InlineData("video/vtest_10s.mp4", 1500)]
    [InlineData("tracking/TUD-Campus/TUD-Campus.mp4", 2000)]
    public void Seek_hands_out_the_frames_of_a_full_decode_from_just_before_the_time(string relative, double startMs)
    {
        if (!HaveFfmpeg()) return;
        var path = TestData.Shared(["data", .. relative.Split('/')]);
        List<(Mat Frame, double Ms)> full;
        using (var all = new VideoFileSource(path)) full = ReadAll(all);
        try
        {
            using var source = FrameSources.Open(path);
            var file = Assert.IsType<FfmpegFileSource>(source);
            Assert.True(file.TrySeekBefore(startMs));
            long first = file.NextFrameIndex;
            var after = ReadAll(source);
            try
            {
                double frameMs = 1000 / source.Info.Fps;
                Assert.InRange(after[0].Ms, startMs - frameMs - 1, startMs);
                // The index given before the first read is that frame's index in the full decode.
                Assert.Equal(full[(int)first].Ms, after[0].Ms, 3);
                AssertSameFrames(full.Skip((int)first).ToList(), after);
                Assert.Equal(full.Count, file.FramesRead);
                Assert.False(file.StoppedEarly);
            }
            finally { Dispose(after); }
        }
        finally { Dispose(full); }
    }

    [Fact]
    public void Seek_is_refused_after_reading_and_past_the_end()
    {
        if (!HaveFfmpeg()) return;
        var path = TestData.Shared("data", "video", "vtest_10s.mp4");
        using (var source = (FfmpegFileSource)FrameSources.Open(path)) Assert.False(source.TrySeekBefore(60_000));
        using (var source = (FfmpegFileSource)FrameSources.Open(path)) Assert.False(source.TrySeekBefore(50));
        using (var source = (FfmpegFileSource)FrameSources.Open(path))
        {
            using var m = new Mat();
            Assert.True(source.Read(m, out _));
            Assert.False(source.TrySeekBefore(5000));
        }
    }

    [Fact]
    public void The_child_is_gone_once_the_source_is_disposed_mid_file()
    {
        if (!HaveFfmpeg()) return;
        var source = (FfmpegFileSource)FrameSources.Open(TestData.Shared("data", "video", "vtest_10s.mp4"));
        int pid = source.ProcessId;
        using (var m = new Mat()) for (int i = 0; i < 5; i++) Assert.True(source.Read(m, out _));
        Assert.True(PipeMedia.FfmpegAlive(pid));
        source.Dispose();
        Assert.True(PipeMedia.GoneWithin(pid, TimeSpan.FromSeconds(10)));
    }

    [Theory]
    [InlineData("Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 768x576, 783 kb/s, 10 fps, 10 tbr, 10240 tbn (default)", "yuv420p")]
    [InlineData("Stream #0:0: Video: mjpeg (Baseline) (MJPG / 0x47504A4D), yuvj420p(pc, bt470bg/unknown/unknown), 768x576, 10 fps", "yuvj420p")]
    [InlineData("Stream #0:1(eng): Video: hevc (Main 10) (hvc1 / 0x31637668), yuv420p10le(tv, bt2020nc/bt2020/smpte2084), 3840x2160", "yuv420p10le")]
    [InlineData("Stream #0:0: Video: rawvideo (BGR[24] / 0x18524742), bgr24, 320x240", "bgr24")]
    [InlineData("Stream #0:0: Video: h264", null)]
    public void Reads_the_pixel_format_from_ffmpegs_description_of_the_input(string line, string? expected) =>
        Assert.Equal(expected, FfmpegSource.PixelFormatOf(line));
}
