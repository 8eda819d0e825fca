using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Sources;

namespace PoseTrack.Tests.Sources;

public class VideoFileSourceTests
{
    internal static (int Frames, List<double> Times) ReadAll(IFrameSource source, int width, int height)
    {
        using var frame = new Mat();
        var times = new List<double>();
        while (source.Read(frame, out var t))
        {
            Assert.Equal(width, frame.Width);
            Assert.Equal(height, frame.Height);
            Assert.Equal(MatType.CV_8UC3, frame.Type());
            times.Add(t);
        }
        return (times.Count, times);
    }

    [Theory]
    [InlineData("video/vtest_10s.mp4", 100, 768, 576, 10.0)]
    [InlineData("video/mmpose_demo.mp4", 5, 960, 540, 5.0)]
    [InlineData("tracking/TUD-Campus/TUD-Campus.mp4", 71, 640, 480, 25.0)]
    public void Reads_real_videos_fully(string relative, int frames, int width, int height, double fps)
    {
        var path = TestData.Shared(["data", .. relative.Split('/')]);
        using var source = new VideoFileSource(path);

        Assert.Equal(new SourceInfo(path, width, height, fps, frames, IsLive: false), source.Info);
        var (count, times) = ReadAll(source, width, height);

        Assert.Equal(frames, count);
        Assert.Equal(frames, source.FramesRead);
        Assert.False(source.StoppedEarly);
        Assert.Null(source.EarlyEnd);
        Assert.Equal(0, times[0]);
        for (var i = 1; i < times.Count; i++) Assert.True(times[i] > times[i - 1], $"time {i}: {times[i]} <= {times[i - 1]}");
        Assert.Equal((frames - 1) * 1000.0 / fps, times[^1], 1.0);
        // Reading past the end stays at the end.
        using var frame = new Mat();
        Assert.False(source.Read(frame, out _));
    }

    [Fact]
    public void Reuses_the_callers_buffer()
    {
        using var source = new VideoFileSource(TestData.Shared("data", "video", "vtest_10s.mp4"));
        using var frame = new Mat();
        Assert.True(source.Read(frame, out _));
        var data = frame.Data;
        Assert.True(source.Read(frame, out _));
        Assert.Equal(data, frame.Data);
    }

    [Fact]
    public void Missing_file_is_a_clear_error()
    {
        var path = Path.Combine(TestData.TempDir(), "nope.mp4");
        var e = Assert.Throws<PoseTrackException>(() => new VideoFileSource(path));
        Assert.Equal($"video file not found: {path}", e.Message);
    }

    [Fact]
    public void Empty_file_is_a_clear_error()
    {
        var path = Path.Combine(TestData.TempDir(), "empty.mp4");
        File.WriteAllBytes(path, []);
        var e = Assert.Throws<PoseTrackException>(() => new VideoFileSource(path));
        Assert.Equal($"video file {path} is empty (0 bytes)", e.Message);
    }

    [Fact]
    public void Text_file_named_mp4_is_not_a_video()
    {
        var path = Path.Combine(TestData.TempDir(), "notes.mp4");
        File.WriteAllText(path, "these are notes, not a video\n");
        var e = Assert.Throws<PoseTrackException>(() => new VideoFileSource(path));
        Assert.Equal($"video file {path} is not a video FFmpeg can open (unknown format or damaged header)", e.Message);
    }

    [Fact]
    public void Folder_given_as_video_is_a_clear_error()
    {
        var dir = TestData.TempDir();
        var e = Assert.Throws<PoseTrackException>(() => new VideoFileSource(dir));
        Assert.Contains("is a folder", e.Message);
    }

    /// <summary>vtest keeps its index at the start, so a cut file still announces 100 frames.</summary>
    [Fact]
    public void Truncated_mp4_reads_what_it_can_and_reports_stopping_early()
    {
        var bytes = File.ReadAllBytes(TestData.Shared("data", "video", "vtest_10s.mp4"));
        var path = Path.Combine(TestData.TempDir(), "half.mp4");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        using var source = new VideoFileSource(path);
        Assert.Equal(100, source.Info.FrameCount);
        var (count, times) = ReadAll(source, 768, 576);

        Assert.InRange(count, 20, 60);  // 33 with OpenCV 4.13 / FFmpeg 7.1
        Assert.True(source.StoppedEarly);
        Assert.Equal(count, source.FramesRead);
        Assert.Equal($"video file {path} stopped at frame {count} of 100 (truncated or corrupt)", source.EarlyEnd);
        for (var i = 1; i < times.Count; i++) Assert.True(times[i] > times[i - 1]);
    }

    [Fact]
    public void Corrupt_middle_stops_at_the_damage()
    {
        var bytes = File.ReadAllBytes(TestData.Shared("data", "video", "vtest_10s.mp4"));
        Array.Clear(bytes, bytes.Length / 3, bytes.Length / 6);
        var path = Path.Combine(TestData.TempDir(), "holed.mp4");
        File.WriteAllBytes(path, bytes);

        using var source = new VideoFileSource(path);
        var (count, _) = ReadAll(source, 768, 576);

        Assert.InRange(count, 1, 60);  // 13 with OpenCV 4.13 / FFmpeg 7.1
        Assert.True(source.StoppedEarly);
        Assert.StartsWith($"video file {path} stopped at frame {count} of 100", source.EarlyEnd);
    }

    [Fact]
    public void Cut_before_the_first_frame_is_an_error_at_open()
    {
        var bytes = File.ReadAllBytes(TestData.Shared("data", "video", "vtest_10s.mp4"));
        var path = Path.Combine(TestData.TempDir(), "stub.mp4");
        File.WriteAllBytes(path, bytes[..50_000]);
        var e = Assert.Throws<PoseTrackException>(() => new VideoFileSource(path));
        Assert.Equal($"video file {path} has no decodable frames (truncated or corrupt)", e.Message);
    }

    [Fact]
    public void Cut_inside_the_header_is_not_a_video()
    {
        var bytes = File.ReadAllBytes(TestData.Shared("data", "video", "vtest_10s.mp4"));
        var path = Path.Combine(TestData.TempDir(), "head.mp4");
        File.WriteAllBytes(path, bytes[..1000]);
        var e = Assert.Throws<PoseTrackException>(() => new VideoFileSource(path));
        Assert.Contains("is not a video FFmpeg can open", e.Message);
    }

    [Theory]
    [InlineData(0.0, 0, 10.0, 0.0)]
    [InlineData(300.0, 3, 10.0, 300.0)]
    [InlineData(0.0, 3, 10.0, 300.0)]      // container reports 0 after the first frame: index / rate
    [InlineData(double.NaN, 2, 25.0, 80.0)]
    public void Timestamp_falls_back_to_index_and_rate(double pos, long index, double fps, double expected) =>
        Assert.Equal(expected, CaptureTime.FileMs(pos, index, fps), 6);

    [Theory]
    [InlineData("video/vtest_10s.mp4", 6000)]
    [InlineData("video/vtest_10s.mp4", 1500)]
    [InlineData("tracking/TUD-Campus/TUD-Campus.mp4", 2000)]
    public void Seek_LandsShortlyBefore_AndTheFramesAreThoseOfAFullDecode(string relative, double startMs)
    {
        var path = TestData.Shared(["data", .. relative.Split('/')]);
        var full = new Dictionary<double, Mat>();
        try
        {
            using (var all = new VideoFileSource(path))
            {
                var m = new Mat();
                while (all.Read(m, out var t)) { full[t] = m; m = new Mat(); }
                m.Dispose();
            }

            using var source = new VideoFileSource(path);
            Assert.True(source.TrySeekBefore(startMs));
            using var frame = new Mat();
            var times = new List<double>();
            while (source.Read(frame, out var t))
            {
                times.Add(t);
                Assert.True(full.TryGetValue(t, out var expected), $"time {t} ms is not a frame time of the full decode");
                Assert.Equal(0, Cv2.Norm(frame, expected, NormTypes.INF));
            }
            // Lands before the start, by no more than the margin and one frame; reads on to the end.
            double frameMs = 1000 / source.Info.Fps;
            Assert.InRange(times[0], startMs - 1000 - frameMs, startMs);
            Assert.Equal(full.Keys.Max(), times[^1]);
            Assert.Equal(full.Count, source.FramesRead);
            Assert.False(source.StoppedEarly);
        }
        finally
        {
            foreach (var m in full.Values) m.Dispose();
        }
    }

    [Fact]
    public void Seek_IsRefused_AfterReading_AndPastTheEnd()
    {
        var path = TestData.Shared("data", "video", "vtest_10s.mp4");
        using (var source = new VideoFileSource(path)) Assert.False(source.TrySeekBefore(60_000));   // 10 s video
        using (var source = new VideoFileSource(path)) Assert.False(source.TrySeekBefore(500));      // nothing to skip
        using (var source = new VideoFileSource(path))
        {
            using var frame = new Mat();
            Assert.True(source.Read(frame, out _));
            Assert.False(source.TrySeekBefore(5000));
        }
    }
}
