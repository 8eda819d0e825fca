using System.Globalization;
using System.Text.Json;

namespace PoseTrack.Tests.DoNoHarm;

/// <summary>
/// Estimates are estimates: a complete variable-frame-rate MPEG-TS (whose frame count FFmpeg only estimates from
/// duration × nominal rate) is read to its end without an error, the log says how many frames were read, and the
/// annotated video keeps the input's duration. Media made with Debian's ffmpeg.
/// </summary>
public sealed class FrameCountEstimateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("posetrack-vfr-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Ffmpeg(string dir, params string[] args)
    {
        var r = CliProcess.RunProgram("ffmpeg", ["-v", "error", "-y", .. args], TimeSpan.FromMinutes(2), dir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r.Stdout;
    }

    private static double Duration(string dir, string file)
    {
        var r = CliProcess.RunProgram("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file], TimeSpan.FromMinutes(1), dir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return double.Parse(r.Stdout.Trim(), CultureInfo.InvariantCulture);
    }

    [Fact]
    public void A_complete_variable_frame_rate_ts_is_not_truncated_and_its_video_keeps_the_duration()
    {
        // 30 fps for the first second, then every sixth frame (5 fps): 55 frames over ~5.8 s, announced as 30 fps.
        Ffmpeg(_dir, "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-t", "6", "-vf", "select='lt(t\\,1)+not(mod(n\\,6))'",
            "-fps_mode", "vfr", "-c:v", "libx264", "-f", "mpegts", "vfr.ts");
        var r = CliProcess.Run(_dir, "--input", "vfr.ts", "--output", "o.mp4", "--json", "o.jsonl");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("frames=55 ", r.Stdout);
        Assert.Contains("Read 55 frames to the end of vfr.ts", r.Stderr);
        Assert.DoesNotContain("truncated", r.Stderr);

        var lines = TestData.LogLines(Path.Combine(_dir, "o.jsonl"));
        Assert.Equal(56, lines.Length);
        using (var header = JsonDocument.Parse(lines[0]))
            Assert.Equal(JsonValueKind.Null, header.RootElement.GetProperty("frame_count").ValueKind);

        double input = Duration(_dir, "vfr.ts"), output = Duration(_dir, "o.mp4");
        Assert.True(Math.Abs(output - input) <= 0.05 * input, $"annotated video {output:F2} s, input {input:F2} s");
    }

    [Fact]
    public void A_constant_rate_mp4_still_gives_one_video_frame_per_frame_and_a_cut_mp4_is_still_an_error()
    {
        var sample = Path.Combine(TestData.RepoRoot, "samples", "data", "vtest_10s.mp4");
        var r = CliProcess.Run(_dir, "--input", sample, "--max-frames", "30", "--output", "o.mp4", "--json", "o.jsonl", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(30, VideoProbe.Frames(Path.Combine(_dir, "o.mp4")));
        using (var header = JsonDocument.Parse(File.ReadLines(Path.Combine(_dir, "o.jsonl")).First()))
            Assert.Equal(100, header.RootElement.GetProperty("frame_count").GetInt64());

        // MP4 records its frame count: ending short of it is still reported (exit 2).
        var bytes = File.ReadAllBytes(sample);
        File.WriteAllBytes(Path.Combine(_dir, "half.mp4"), bytes[..(bytes.Length / 2)]);
        var cut = CliProcess.Run(_dir, "track", "--input", "half.mp4", "--json", "h.jsonl", "-q");
        Assert.Equal(2, cut.ExitCode);
        Assert.Contains("stopped at frame", cut.Stderr);
    }
}
