using PoseTrack.Cli;

namespace PoseTrack.Tests.Cli;

/// <summary>
/// Several inputs in one process (issue 17): each stream gives the results of its own single run, a broken stream is
/// named while the others complete, and output paths name their stream.
/// </summary>
public sealed class MultiStreamTests
{
    private const string Frames = "25";

    private static string Sample => Path.Combine(TestData.RepoRoot, "samples", "data", "vtest_10s.mp4");

    private static void AssertSameResults(string dir, string expected, string actual)
    {
        var same = CliProcess.RunProgram("node", [TestData.Shared("tools", "same-results.js"), expected, actual], TimeSpan.FromMinutes(1), dir);
        Assert.True(same.ExitCode == 0, $"{actual} differs from {expected}: {same.Stdout}{same.Stderr}");
        Assert.StartsWith("same ", same.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Three_files_in_one_process_equal_three_single_runs()
    {
        var dir = TestData.TempDir("multi");
        var tud = TestData.Shared("data", "tracking", "TUD-Campus", "TUD-Campus.mp4");
        var demo = TestData.Shared("data", "video", "vtest_10s.mp4");   // the sample's stem again: named vtest_10s-2
        Directory.CreateDirectory(Path.Combine(dir, "multi"));
        var r = CliProcess.Run(dir, TimeSpan.FromMinutes(6), "--input", Sample, "--input", tud, "--input", demo,
            "--json", "multi/{name}.jsonl", "--max-frames", Frames, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var name in new[] { "vtest_10s", "TUD-Campus", "vtest_10s-2" })
            Assert.Contains($"stream={name} frames={Frames} ", r.Stdout);

        foreach (var (input, name) in new[] { (Sample, "vtest_10s"), (tud, "TUD-Campus"), (demo, "vtest_10s-2") })
        {
            var single = CliProcess.Run(dir, "--input", input, "--json", $"single-{name}.jsonl", "--max-frames", Frames, "-q");
            Assert.True(single.ExitCode == 0, single.Stderr);
            AssertSameResults(dir, $"single-{name}.jsonl", Path.Combine("multi", $"{name}.jsonl"));
        }
        // Track ids start at 1 in each stream: never a sequence shared across streams.
        foreach (var name in new[] { "vtest_10s", "TUD-Campus", "vtest_10s-2" })
        {
            var log = PoseTrack.Sinks.JsonLinesReader.ReadAll(Path.Combine(dir, "multi", $"{name}.jsonl"));
            Assert.Equal(1, log.Frames.SelectMany(f => f.Persons).Min(p => p.TrackId));
        }
    }

    [Fact]
    public void A_truncated_file_among_good_ones_is_named_and_the_others_complete()
    {
        var dir = TestData.TempDir("multi");
        var bytes = File.ReadAllBytes(Sample);
        // The sample keeps its index at the front: cut at 40 % it decodes about 20 frames, then ends early.
        File.WriteAllBytes(Path.Combine(dir, "broken.mp4"), bytes[..(bytes.Length * 4 / 10)]);
        File.WriteAllBytes(Path.Combine(dir, "notavideo.mp4"), "not a video"u8.ToArray());
        var r = CliProcess.Run(dir, TimeSpan.FromMinutes(6), "--input", Sample, "--input", "broken.mp4", "--input", "notavideo.mp4",
            "--json", "{name}.jsonl", "--max-frames", "40", "-q");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("stream=vtest_10s frames=40 ", r.Stdout);
        Assert.Contains("state=done", r.Stdout.Split('\n').Single(l => l.StartsWith("stream=vtest_10s ", StringComparison.Ordinal)));
        Assert.Contains("state=failed", r.Stdout.Split('\n').Single(l => l.StartsWith("stream=broken ", StringComparison.Ordinal)));
        Assert.Contains("state=failed", r.Stdout.Split('\n').Single(l => l.StartsWith("stream=notavideo ", StringComparison.Ordinal)));
        Assert.Contains("stream broken: ", r.Stderr);
        Assert.Contains("stream notavideo: ", r.Stderr);
        Assert.Contains("2 of 3 streams failed: broken, notavideo", r.Stderr);
        // The good stream's log is whole: header and 40 frames.
        Assert.Equal(40, PoseTrack.Sinks.JsonLinesReader.ReadAll(Path.Combine(dir, "vtest_10s.jsonl")).Frames.Count);
        // The broken one keeps the frames before the break.
        var broken = PoseTrack.Sinks.JsonLinesReader.ReadAll(Path.Combine(dir, "broken.jsonl")).Frames.Count;
        Assert.InRange(broken, 1, 39);
    }

    [Fact]
    public void Several_inputs_need_name_in_every_output_path()
    {
        var dir = TestData.TempDir("multi");
        var r = CliProcess.Run(dir, "--input", Sample, "--input", Sample, "--json", "one.jsonl", "-q");
        Assert.Equal(2, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("--json one.jsonl", lines[0]);
        Assert.Contains("{name}", lines[0]);
        Assert.False(File.Exists(Path.Combine(dir, "one.jsonl")));
    }

    [Fact]
    public void Stream_names_come_from_the_stem_or_the_sources_file_and_clashes_get_a_suffix()
    {
        var named = StreamInputs.Name([(null, "/a/cam.mp4"), (null, "/b/cam.mkv"), ("cam", "rtsp://u:p@host/x"), (null, "rtsp://host:554/live/door"),
            (null, "0"), (null, "-"), ("a/b", "x.mp4")]);
        Assert.Equal(["cam", "cam-2", "cam-3", "door", "camera0", "stdin", "a_b"], named.Select(s => s.Name));

        var dir = TestData.TempDir("multi");
        var file = Path.Combine(dir, "sources.txt");
        File.WriteAllLines(file, ["# cameras", "", "front rtsp://127.0.0.1:8554/live#frag", "  back  /videos/back.mp4   # the yard", "/videos/side.mp4"]);
        var sources = StreamInputs.ReadSourcesFile(file);
        Assert.Equal([("front", "rtsp://127.0.0.1:8554/live#frag"), ("back", "/videos/back.mp4"), ((string?)null, "/videos/side.mp4")], sources);

        Assert.Equal("out/door.jsonl", StreamInputs.Expand("out/{name}.jsonl", "door"));
        var e = Assert.Throws<PoseTrack.Core.PoseTrackException>(() => StreamInputs.CheckOutputsNamePerStream(2, ("--mot", "tracks.txt")));
        Assert.Contains("tracks-{name}.txt", e.Message);
        StreamInputs.CheckOutputsNamePerStream(1, ("--mot", "tracks.txt"));
    }

    [Fact]
    public void A_sources_file_names_the_streams_of_a_run()
    {
        var dir = TestData.TempDir("multi");
        File.WriteAllLines(Path.Combine(dir, "sources.txt"), ["# two views of one file", $"left {Sample}", $"right {Sample}"]);
        var r = CliProcess.Run(dir, TimeSpan.FromMinutes(4), "--sources", "sources.txt", "--json", "{name}.jsonl", "--max-frames", "5", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("stream=left frames=5 ", r.Stdout);
        Assert.Contains("stream=right frames=5 ", r.Stdout);
        Assert.True(File.Exists(Path.Combine(dir, "left.jsonl")));
        Assert.True(File.Exists(Path.Combine(dir, "right.jsonl")));
    }
}
