using PoseTrack.Core;
using PoseTrack.Sources;

namespace PoseTrack.Tests.Sources;

public class FrameSourcesTests
{
    [Fact]
    public void Video_path_opens_a_file_source()
    {
        // OpenCV's reader when asked for; the default (an ffmpeg child where its frames are OpenCV's): FfmpegFileSourceTests.
        using var source = FrameSources.Open(TestData.Shared("data", "video", "mmpose_demo.mp4"), new FrameSourceOptions { Decoder = VideoDecoder.OpenCv });
        Assert.IsType<VideoFileSource>(source);
        Assert.False(source.Info.IsLive);
    }

    [Fact]
    public void File_url_opens_a_file_source()
    {
        var path = TestData.Shared("data", "video", "mmpose_demo.mp4");
        using var source = FrameSources.Open(new Uri(path).AbsoluteUri, new FrameSourceOptions { Decoder = VideoDecoder.OpenCv });
        Assert.IsType<VideoFileSource>(source);
    }

    [Fact]
    public void Folder_opens_an_image_source_with_the_given_rate()
    {
        var dir = TestData.Shared("data", "posetrack18", "videos", "000001_mpiinew_test");
        using var source = FrameSources.Open(dir, new FrameSourceOptions { FolderFps = 30 });
        Assert.IsType<ImageFolderSource>(source);
        Assert.Equal(30, source.Info.Fps);
    }

    [Theory]
    [InlineData("7")]
    [InlineData("/dev/video7")]
    public void Integer_opens_a_camera(string input)
    {
        var e = Assert.Throws<PoseTrackException>(() => FrameSources.Open(input));
        Assert.StartsWith("camera 7 cannot be opened", e.Message);
    }

    [Fact]
    public void Url_opens_a_stream()
    {
        var e = Assert.Throws<PoseTrackException>(() => FrameSources.Open("rtsp://127.0.0.1:9/cam"));
        Assert.StartsWith("stream rtsp://127.0.0.1:9/cam ", e.Message);
    }

    [Fact]
    public void Other_input_is_a_video_path()
    {
        var e = Assert.Throws<PoseTrackException>(() => FrameSources.Open("no-such-video.mp4"));
        Assert.Equal("video file not found: no-such-video.mp4", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Blank_input_is_an_error(string input) =>
        Assert.StartsWith("no input given", Assert.Throws<PoseTrackException>(() => FrameSources.Open(input)).Message);

    [Theory]
    [InlineData("0", true, 0)]
    [InlineData("12", true, 12)]
    [InlineData("/dev/video3", true, 3)]
    [InlineData("-1", false, 0)]
    [InlineData("1.5", false, 0)]
    [InlineData("./0", false, 0)]
    public void Camera_index_parsing(string input, bool isCamera, int index)
    {
        Assert.Equal(isCamera, FrameSources.TryParseCamera(input, out var i));
        if (isCamera) Assert.Equal(index, i);
    }

    [Fact]
    public void Silencing_native_logs_keeps_errors_working()
    {
        FrameSources.SilenceNativeLogs();
        var path = Path.Combine(TestData.TempDir(), "notes.mp4");
        File.WriteAllText(path, "not a video");
        Assert.Contains("is not a video", Assert.Throws<PoseTrackException>(() => FrameSources.Open(path)).Message);
    }
}
