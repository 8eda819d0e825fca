using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Sinks;

namespace PoseTrack.Tests.Sinks;

public sealed class VideoFileSinkTests
{
    private static (long Read, long Property, int Width, int Height, double Fps) Probe(string path)
    {
        var v = VideoProbe.Read(path);
        return (v.DecodedFrames, v.FrameCountProperty, v.Width, v.Height, v.Fps);
    }

    [Theory]
    [InlineData("out.mp4", "mp4v")]
    [InlineData("out.avi", "MJPG")]
    [InlineData("out.mkv", "mp4v")]
    public void ThirtyFrames_AreAllWritten(string name, string expectedFourCC)
    {
        var path = Path.Combine(TestData.TempDir(), name);
        var frames = SyntheticFrames.VideoFrames(30);
        try
        {
            using (var sink = new VideoFileSink(path, SyntheticFrames.Width, SyntheticFrames.Height, 10))
            {
                Assert.True(sink.NeedsImage);
                Assert.Equal(expectedFourCC, sink.FourCC);
                for (int i = 0; i < frames.Count; i++) sink.Write(SyntheticFrames.Frame(i), frames[i]);
                Assert.Equal(30, sink.FramesWritten);
                sink.Complete();
                sink.Complete();
            }
            var (read, prop, w, h, fps) = Probe(path);
            Assert.Equal(30, read);
            Assert.Equal(30, prop);
            Assert.Equal((768, 576), (w, h));
            Assert.Equal(10, fps, 3);
        }
        finally { foreach (var f in frames) f.Dispose(); }
    }

    [Fact]
    public void OtherSizesAndGray_AreConverted_NotDropped()
    {
        var path = Path.Combine(TestData.TempDir(), "mixed.avi");
        using (var sink = new VideoFileSink(path, 320, 240, 5))
        {
            using var big = new Mat(480, 640, MatType.CV_8UC3, Scalar.All(90));
            using var gray = new Mat(240, 320, MatType.CV_8UC1, Scalar.All(40));
            for (int i = 0; i < 5; i++) { sink.Write(SyntheticFrames.Frame(i), big); sink.Write(SyntheticFrames.Frame(i), gray); }
            sink.Complete();
        }
        var (read, _, w, h, _) = Probe(path);
        Assert.Equal(10, read);
        Assert.Equal((320, 240), (w, h));
    }

    [Fact]
    public void FourCCOverride_IsUsed()
    {
        var path = Path.Combine(TestData.TempDir(), "xvid.avi");
        using (var sink = new VideoFileSink(path, 64, 48, 10, "XVID"))
        {
            Assert.Equal("XVID", sink.FourCC);
            using var m = new Mat(48, 64, MatType.CV_8UC3, Scalar.All(128));
            for (int i = 0; i < 3; i++) sink.Write(SyntheticFrames.Frame(i), m);
        } // Dispose without Complete still finalises.
        Assert.Equal(3, Probe(path).Read);
    }

    [Fact]
    public void UnwritablePath_ThrowsPoseTrackException()
    {
        var dir = TestData.TempDir();
        var missing = Path.Combine(dir, "nope", "out.mp4");
        Assert.Contains(missing, Assert.Throws<PoseTrackException>(() => new VideoFileSink(missing, 768, 576, 10)).Message);
        var file = Path.Combine(dir, "plain.txt");
        File.WriteAllText(file, "x");
        var under = Path.Combine(file, "out.mp4");
        Assert.Contains(under, Assert.Throws<PoseTrackException>(() => new VideoFileSink(under, 768, 576, 10)).Message);
        var asDir = Path.Combine(dir, "d.mp4");
        Directory.CreateDirectory(asDir);
        Assert.Contains("is a folder, not a file", Assert.Throws<PoseTrackException>(() => new VideoFileSink(asDir, 768, 576, 10)).Message);
    }

    [Fact]
    public void UnknownCodecOrExtension_ThrowsPoseTrackException()
    {
        var dir = TestData.TempDir();
        var e = Assert.Throws<PoseTrackException>(() => new VideoFileSink(Path.Combine(dir, "a.mp4"), 64, 48, 10, "ZZZZ"));
        Assert.Contains("ZZZZ", e.Message);
        // No H.264 encoder in the bundled FFmpeg: asking for it fails clearly instead of writing nothing.
        Assert.Contains("avc1", Assert.Throws<PoseTrackException>(() => new VideoFileSink(Path.Combine(dir, "b.mp4"), 64, 48, 10, "avc1")).Message);
        Assert.Contains(".xyz", Assert.Throws<PoseTrackException>(() => new VideoFileSink(Path.Combine(dir, "c.xyz"), 64, 48, 10)).Message);
        Assert.Throws<PoseTrackException>(() => new VideoFileSink(Path.Combine(dir, "d.mp4"), 64, 48, 10, "toolong"));
        Assert.False(File.Exists(Path.Combine(dir, "a.mp4")));
    }
}
