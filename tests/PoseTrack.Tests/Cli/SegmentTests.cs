using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using PoseTrack.Sinks;
using PoseTrack.Tests.Sources;

namespace PoseTrack.Tests.Cli;

/// <summary>
/// <c>--segment</c> on the sample video (100 frames at 10 fps): closed, playable segments (ffprobe decodes every
/// frame) whose frames add up to the run's, each with a JSON lines log that has its own header. ffprobe missing
/// fails the test (scripts/setup.sh installs it).
/// </summary>
[Collection(PoseTrack.Tests.DoNoHarm.TimingCollection.Name)]
public sealed partial class SegmentTests
{
    private static string Sample => Path.Combine(TestData.RepoRoot, "samples", "data", "vtest_10s.mp4");

    [GeneratedRegex(@"^o_(?<t>\d{8}T\d{6}Z)\.(mp4|mkv|jsonl)$")]
    private static partial Regex SegmentName();

    /// <summary>The segment files of <paramref name="ext"/> in <paramref name="dir"/>, in time order; every other file is a failure.</summary>
    private static List<string> Segments(string dir, string ext)
    {
        foreach (var f in Directory.GetFiles(dir))
            Assert.True(SegmentName().IsMatch(Path.GetFileName(f)), $"unexpected file {Path.GetFileName(f)}");
        return Directory.GetFiles(dir, "o_*." + ext).Order(StringComparer.Ordinal).ToList();
    }

    private static void AssertSegmentedRun(string dir, CliProcess.Result r, string videoExt, int[] expected, int seconds)
    {
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"frames={expected.Sum()} ", r.Stdout);
        var videos = Segments(dir, videoExt);
        var logs = Segments(dir, "jsonl");
        Assert.Equal(expected.Length, videos.Count);
        Assert.Equal(expected.Length, logs.Count);
        // Every segment is a closed, playable file: ffprobe decodes all its frames; together they are the run's.
        Assert.Equal(expected, videos.Select(PipeMedia.CountFrames));
        var frames = new List<long>();
        for (int k = 0; k < logs.Count; k++)
        {
            // Video and log of a segment share its name; the name is its UTC start, segments are `seconds` apart.
            Assert.Equal(Path.GetFileNameWithoutExtension(videos[k]), Path.GetFileNameWithoutExtension(logs[k]));
            var log = JsonLinesReader.ReadAll(logs[k]);
            Assert.False(log.PartialLastLine);
            var seg = Assert.IsType<JsonLinesSegment>(log.Header.Segment);
            Assert.Equal(k, seg.Index);
            Assert.Equal(seconds * 1000.0, seg.DurationMs);
            Assert.Equal(Path.GetFileName(SegmentedOutputs.NameFor(Path.Combine(dir, "o.jsonl"), seg.Start)), Path.GetFileName(logs[k]));
            Assert.Null(log.Header.FrameCount);
            Assert.Equal(expected[k], log.Frames.Count);
            Assert.All(log.Frames, f => Assert.InRange(f.TimeMs, seg.StartMs, seg.StartMs + seg.DurationMs - 0.001));
            Assert.Equal((768, 576), log.Header.VideoSize);
            frames.AddRange(log.Frames.Select(f => f.Frame));
        }
        Assert.Equal(Enumerable.Range(0, expected.Sum()).Select(i => (long)i), frames);
        var starts = logs.Select(l => DateTime.ParseExact(SegmentName().Match(Path.GetFileName(l)).Groups["t"].Value, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)).ToList();
        Assert.All(starts.Zip(starts.Skip(1)), p => Assert.Equal(TimeSpan.FromSeconds(seconds), p.Second - p.First));
        // The summary names every segment file it wrote, and no unsegmented o.mp4 / o.jsonl.
        Assert.Equal(expected.Length * 2, Regex.Matches(r.Stdout, "^wrote=", RegexOptions.Multiline).Count);
    }

    [Fact]
    public void H264_segments_of_3s_of_the_sample_are_playable_and_add_up_to_the_run()
    {
        var dir = TestData.TempDir();
        var r = CliProcess.Run(dir, "--input", Sample, "--output", "o.mp4", "--codec", "h264", "--json", "o.jsonl", "--segment", "3s", "-q");
        AssertSegmentedRun(dir, r, "mp4", [30, 30, 30, 10], 3);
        // Each segment is a browser-playable H.264 file of its own.
        var probe = CliProcess.RunProgram("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,pix_fmt",
            "-of", "csv=p=0", Segments(dir, "mp4")[^1]], TimeSpan.FromMinutes(1));
        Assert.Equal("h264,yuv420p", probe.Stdout.Trim());
    }

    [Fact]
    public void OpenCv_writer_segments_add_up_to_the_run()
    {
        var dir = TestData.TempDir();
        var r = CliProcess.Run(dir, "--input", Sample, "--output", "o.mkv", "--json", "o.jsonl", "--segment", "2s", "--max-frames", "45", "-q");
        AssertSegmentedRun(dir, r, "mkv", [20, 20, 5], 2);
    }

    [Fact]
    public void Sigterm_finalises_the_open_segment()
    {
        var dir = TestData.TempDir();
        using var p = CliProcess.Start(dir, "--input", Sample, "--output", "o.mp4", "--codec", "h264", "--json", "o.jsonl", "--segment", "1s", "-q");
        try
        {
            var until = DateTime.UtcNow.AddMinutes(2);
            while (Directory.GetFiles(dir, "o_*.jsonl").Length < 2 && !p.HasExited && DateTime.UtcNow < until) Thread.Sleep(50);
            Assert.False(p.HasExited, "the run ended before its second segment");
            using (var kill = Process.Start(new ProcessStartInfo("kill", $"-TERM {p.Id}") { UseShellExecute = false })!) kill.WaitForExit();
            Assert.True(p.WaitForExit(60_000), "no exit after SIGTERM");
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
        Assert.Equal(130, p.ExitCode);
        var videos = Segments(dir, "mp4");
        var logs = Segments(dir, "jsonl");
        Assert.Equal(videos.Count, logs.Count);
        Assert.InRange(videos.Count, 2, 9);
        // Every segment, the one open at the signal too, is closed: it plays, with one frame per frame record.
        for (int k = 0; k < videos.Count; k++)
        {
            var log = JsonLinesReader.ReadAll(logs[k]);
            Assert.False(log.PartialLastLine);
            Assert.Equal(log.Frames.Count, PipeMedia.CountFrames(videos[k]));
        }
    }

    [Theory]
    [InlineData("0.5s", "--segment must be from 1 s")]
    [InlineData("ten", "--segment must be a duration")]
    public void Bad_segment_durations_are_one_line_and_exit_2(string value, string message)
    {
        var dir = TestData.TempDir();
        var r = CliProcess.Run(dir, "--input", Sample, "--output", "o.mp4", "--segment", value, "-q");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(Directory.GetFiles(dir));
    }
}
