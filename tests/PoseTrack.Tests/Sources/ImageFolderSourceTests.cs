using Microsoft.Extensions.Logging;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Sources;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace PoseTrack.Tests.Sources;

public class ImageFolderSourceTests
{
    private static string CopyPoseTrackFrames()
    {
        var src = TestData.Shared("data", "posetrack18", "videos", "000001_mpiinew_test");
        var dir = TestData.TempDir();
        foreach (var jpg in Directory.GetFiles(src, "*.jpg"))
            File.Copy(jpg, Path.Combine(dir, Path.GetFileName(jpg)));
        return dir;
    }

    [Fact]
    public void Reads_posetrack_frames_in_name_order()
    {
        var dir = TestData.Shared("data", "posetrack18", "videos", "000001_mpiinew_test");
        using var source = new ImageFolderSource(dir);

        // The folder also holds the sequence as an mp4, which is not an image.
        Assert.Equal(new SourceInfo(dir, 1280, 720, 25, 5, IsLive: false), source.Info);
        var (count, times) = VideoFileSourceTests.ReadAll(source, 1280, 720);
        Assert.Equal(5, count);
        Assert.Equal([0, 40, 80, 120, 160], times);
        Assert.Equal("000004.jpg", Path.GetFileName(source.CurrentPath));
        var skipped = Assert.Single(source.Skipped);
        Assert.Equal("000001_mpiinew_test.mp4", Path.GetFileName(skipped.Path));
        Assert.Equal("not an image", skipped.Reason);
    }

    [Fact]
    public void Skips_and_reports_planted_non_images()
    {
        var dir = CopyPoseTrackFrames();
        File.WriteAllText(Path.Combine(dir, "000002.5.jpg"), "not an image");
        File.WriteAllText(Path.Combine(dir, "README.txt"), "notes");
        File.WriteAllBytes(Path.Combine(dir, "000000a.png"), []);
        var logger = new ListLogger();

        using var source = new ImageFolderSource(dir, new FrameSourceOptions { FolderFps = 10, Logger = logger });
        var (count, times) = VideoFileSourceTests.ReadAll(source, 1280, 720);

        Assert.Equal(5, count);
        Assert.Equal([0, 100, 200, 300, 400], times);
        Assert.Equal(
            [("000000a.png", "empty (0 bytes)"), ("000002.5.jpg", "not an image"), ("README.txt", "not an image")],
            source.Skipped.Select(s => (Path.GetFileName(s.Path), s.Reason)));
        Assert.Equal(3, logger.Messages.Count(m => m.StartsWith("skipping ")));
    }

    [Fact]
    public void Undecodable_image_is_skipped_when_reached_leaving_a_time_gap()
    {
        var dir = CopyPoseTrackFrames();
        // A JPEG signature followed by garbage passes the signature check but cannot be decoded.
        File.WriteAllBytes(Path.Combine(dir, "000002.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 6, 7, 8]);

        using var source = new ImageFolderSource(dir);
        Assert.Equal(5, source.Info.FrameCount);
        var (count, times) = VideoFileSourceTests.ReadAll(source, 1280, 720);

        Assert.Equal(4, count);
        Assert.Equal([0, 40, 120, 160], times);
        var skipped = Assert.Single(source.Skipped);
        Assert.Equal(("000002.jpg", "cannot be decoded"), (Path.GetFileName(skipped.Path), skipped.Reason));
    }

    [Fact]
    public void Other_sizes_are_resized_to_the_first_image()
    {
        var dir = TestData.TempDir();
        using (var a = new Mat(120, 160, MatType.CV_8UC3, Scalar.Red)) Cv2.ImWrite(Path.Combine(dir, "a.png"), a);
        using (var b = new Mat(60, 100, MatType.CV_8UC1, Scalar.White)) Cv2.ImWrite(Path.Combine(dir, "b.png"), b);

        using var source = new ImageFolderSource(dir);
        var (count, _) = VideoFileSourceTests.ReadAll(source, 160, 120);
        Assert.Equal(2, count);
        Assert.Equal("b.png", Path.GetFileName(Assert.Single(source.Resized)));
    }

    [Fact]
    public void Empty_folder_is_an_error()
    {
        var dir = TestData.TempDir();
        var e = Assert.Throws<PoseTrackException>(() => new ImageFolderSource(dir));
        Assert.Equal($"image folder {dir} is empty", e.Message);
    }

    [Fact]
    public void Folder_without_images_is_an_error()
    {
        var dir = TestData.TempDir();
        File.WriteAllText(Path.Combine(dir, "a.txt"), "x");
        var e = Assert.Throws<PoseTrackException>(() => new ImageFolderSource(dir));
        Assert.Equal($"image folder {dir} contains no readable images (1 files skipped)", e.Message);
    }

    [Fact]
    public void Missing_folder_is_an_error()
    {
        var dir = Path.Combine(TestData.TempDir(), "gone");
        var e = Assert.Throws<PoseTrackException>(() => new ImageFolderSource(dir));
        Assert.Equal($"image folder not found: {dir}", e.Message);
    }

    [Fact]
    public void Rate_must_be_positive()
    {
        var e = Assert.Throws<PoseTrackException>(() => new ImageFolderSource(TestData.TempDir(), new FrameSourceOptions { FolderFps = 0 }));
        Assert.Contains("FrameSourceOptions.FolderFps must be a positive number", e.Message);
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Messages { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Messages.Add(formatter(state, exception));
    }
}
