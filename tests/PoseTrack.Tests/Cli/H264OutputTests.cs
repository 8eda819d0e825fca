using PoseTrack.Sinks;

namespace PoseTrack.Tests.Cli;

/// <summary><c>--codec h264</c>: the annotated video through ffmpeg's libx264, checked with ffprobe.</summary>
public sealed class H264OutputTests
{
    [Fact]
    public void Codec_h264_writes_h264_yuv420p_with_every_frame_and_the_index_first()
    {
        if (!File.Exists("/usr/bin/ffprobe") && !File.Exists("/usr/local/bin/ffprobe"))
        {
            Assert.True(Environment.GetEnvironmentVariable("CI") is null, "CI is set but ffmpeg/ffprobe are missing (scripts/setup.sh installs them)");
            return;
        }
        var dir = TestData.TempDir();
        var r = CliProcess.Run(dir, "--input", TestData.Shared("data", "video", "vtest_10s.mp4"), "--output", "o.mp4", "--codec", "h264",
            "--json", "o.jsonl", "--max-frames", "25", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var probe = CliProcess.RunProgram("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
            "-show_entries", "stream=codec_name,pix_fmt,width,height,nb_read_frames", "-of", "csv=p=0", Path.Combine(dir, "o.mp4")], TimeSpan.FromMinutes(1));
        Assert.True(probe.ExitCode == 0, probe.Stderr);
        Assert.Equal("h264,768,576,yuv420p,25", probe.Stdout.Trim());
        Assert.Equal(25, JsonLinesReader.ReadAll(Path.Combine(dir, "o.jsonl")).Frames.Count);
        // -movflags +faststart: the index (moov) comes before the media data, so a browser can start playing at once.
        var head = File.ReadAllBytes(Path.Combine(dir, "o.mp4")).AsSpan(0, 64).ToArray();
        Assert.Contains("moov", System.Text.Encoding.ASCII.GetString(head));
    }

    [Fact]
    public void Codec_h264_with_a_fourcc_is_an_error()
    {
        var r = CliProcess.Run(TestData.TempDir(), "--input", TestData.Shared("data", "video", "vtest_10s.mp4"), "--output", "o.mp4", "--codec", "h264", "--fourcc", "mp4v");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("give either --codec h264 or --fourcc", r.Stderr);
    }
}
