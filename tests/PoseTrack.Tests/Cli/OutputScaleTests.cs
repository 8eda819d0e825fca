using System.Text.Json;

namespace PoseTrack.Tests.Cli;

/// <summary>
/// The annotated video keeps every frame at the input's rate, at the input's size or, with <c>--output-scale F</c>,
/// at F times it, with both writers (checked with ffprobe); the JSON stays in input pixels.
/// </summary>
public sealed class OutputScaleTests
{
    private static bool HaveFfprobe()
    {
        if (File.Exists("/usr/bin/ffprobe") || File.Exists("/usr/local/bin/ffprobe")) return true;
        Assert.True(Environment.GetEnvironmentVariable("CI") is null, "CI is set but ffmpeg/ffprobe are missing (scripts/setup.sh installs them)");
        return false;
    }

    // width,height,r_frame_rate,nb_read_frames of the first video stream.
    private static string Probe(string path)
    {
        var probe = CliProcess.RunProgram("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
            "-show_entries", "stream=width,height,r_frame_rate,nb_read_frames", "-of", "csv=p=0", path], TimeSpan.FromMinutes(1));
        Assert.True(probe.ExitCode == 0, probe.Stderr);
        return probe.Stdout.Trim();
    }

    [Theory]
    [InlineData("opencv", null, "768,576,10/1,25")]
    [InlineData("h264", null, "768,576,10/1,25")]
    [InlineData("opencv", "0.5", "384,288,10/1,25")]
    [InlineData("h264", "0.5", "384,288,10/1,25")]
    [InlineData("h264", "0.33", "254,190,10/1,25")]
    public void Video_keeps_every_frame_at_the_input_rate_and_the_asked_size(string codec, string? scale, string expected)
    {
        if (!HaveFfprobe()) return;
        var dir = TestData.TempDir();
        string[] args = ["--input", TestData.Shared("data", "video", "vtest_10s.mp4"), "--output", "o.mp4", "--codec", codec,
            "--json", "o.jsonl", "--max-frames", "25", "-q", .. scale is null ? Array.Empty<string>() : ["--output-scale", scale]];
        var r = CliProcess.Run(dir, args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(expected, Probe(Path.Combine(dir, "o.mp4")));
        // The log says the video's size and stays in input pixels.
        using var header = JsonDocument.Parse(File.ReadLines(Path.Combine(dir, "o.jsonl")).First());
        var parts = expected.Split(',');
        Assert.Equal(int.Parse(parts[0]), header.RootElement.GetProperty("video_width").GetInt32());
        Assert.Equal(int.Parse(parts[1]), header.RootElement.GetProperty("video_height").GetInt32());
        Assert.Equal(768, header.RootElement.GetProperty("width").GetInt32());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1.5")]
    [InlineData("-0.5")]
    public void Output_scale_out_of_range_is_one_clear_line(string scale)
    {
        var r = CliProcess.Run(TestData.TempDir(), "--input", TestData.Shared("data", "video", "vtest_10s.mp4"), "--output", "o.mp4", "--output-scale", scale);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--output-scale must be more than 0 and at most 1", r.Stderr);
        Assert.DoesNotContain("Exception", r.Stderr);
    }
}
