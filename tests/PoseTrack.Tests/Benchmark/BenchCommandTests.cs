using System.Text.Json;

namespace PoseTrack.Tests.Benchmark;

/// <summary><c>posetrack bench</c> end to end: every figure present and sane (no timing is asserted), and flat memory.</summary>
public sealed class BenchCommandTests
{
    private static string Video => TestData.Shared("data", "video", "vtest_10s.mp4");

    private static JsonElement RunBench(string dir, params string[] extra)
    {
        // A guard against a hang, not a speed check: the 1,200-frame loop takes about a minute on 2 idle cores, several
        // when the machine is shared.
        var r = CliProcess.Run(dir, TimeSpan.FromMinutes(8), ["bench", "--input", Video, "--json", "bench.json", "-q", .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("Exception", r.Stderr);
        // The table (plain text when redirected) names the provider, as the JSON does.
        Assert.Matches(@"(?m)^machine\s+execution provider\s+(cpu|cuda|tensorrt)\s*$", r.Stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "bench.json")));
        return doc.RootElement.Clone();
    }

    private static void Positive(JsonElement e, string name)
    {
        var v = e.GetProperty(name);
        Assert.True(v.ValueKind == JsonValueKind.Number, $"{name} is {v.ValueKind}");
        double d = v.GetDouble();
        Assert.True(double.IsFinite(d) && d > 0, $"{name} = {d}");
    }

    [Fact]
    public void ShortRun_WritesEveryFigure_PositiveWithFiniteRatios()
    {
        var dir = TestData.TempDir();
        // The SimpleBaselines model takes batches, so the batch figures exist too (MoveNet's graph is fixed at batch 1).
        var root = RunBench(dir, "--frames", "20", "--pose-model", "simplepose-nano");

        var machine = root.GetProperty("machine");
        Positive(machine, "cores");
        Assert.False(string.IsNullOrWhiteSpace(machine.GetProperty("cpu_model").GetString()));
        Assert.Equal("cpu", machine.GetProperty("execution_provider").GetString());

        var settings = root.GetProperty("settings");
        Assert.Equal(20, settings.GetProperty("frames").GetInt64());
        Positive(settings, "detector_threads");
        Positive(settings, "pose_threads");

        var models = root.GetProperty("models");
        Positive(models.GetProperty("detector_ms"), "median");
        Positive(models.GetProperty("detector_ms"), "p90");
        var batches = models.GetProperty("pose_ms_per_crop").EnumerateArray().ToList();
        Assert.Equal([1, 2, 4, 8], batches.Select(b => b.GetProperty("batch").GetInt32()));
        foreach (var b in batches) { Positive(b, "median"); Positive(b, "p90"); }
        var people = models.GetProperty("pose_ms_per_frame_by_people").EnumerateArray().ToList();
        Assert.Equal([1, 2, 4, 8, 16], people.Select(p => p.GetProperty("people").GetInt32()));
        foreach (var p in people) { Positive(p, "median"); Positive(p, "per_person"); }
        // More people take longer per frame (16 crops cannot cost what 1 does).
        Assert.True(people[^1].GetProperty("median").GetDouble() > people[0].GetProperty("median").GetDouble());

        var bound = root.GetProperty("model_bound");
        Positive(bound, "fps");
        Positive(bound, "overlapped_fps");
        Assert.NotEmpty(bound.GetProperty("candidates").EnumerateArray());

        foreach (var run in new[] { "sequential", "pipeline" })
        {
            var t = root.GetProperty(run);
            Assert.Equal(20, t.GetProperty("frames").GetInt64());
            Positive(t, "fps");
            Positive(t, "seconds");
            Positive(t, "cpu_ms_per_frame");
        }

        var stages = root.GetProperty("stages").EnumerateArray().ToList();
        Assert.Equal(["source", "detect", "pose", "track", "render", "sinks"], stages.Select(s => s.GetProperty("name").GetString()));
        foreach (var s in stages)
        {
            Assert.Equal(20, s.GetProperty("frames").GetInt64());
            Positive(s, "busy_ms_per_frame");
            Assert.True(s.GetProperty("mean_queue_depth").GetDouble() >= 0);
        }

        // Each part alone in processor time per frame, in the pipeline's order, then the ffmpeg alternatives.
        var parts = root.GetProperty("parts");
        Assert.Equal(20, parts.GetProperty("frames").GetInt32());
        Assert.Contains("CPU time", parts.GetProperty("clock").GetString());
        var partList = parts.GetProperty("parts").EnumerateArray().ToList();
        Assert.Equal(["decode", "detector pre-processing", "detector", "pose crop warps", "pose model", "tracking", "render", "video encode", "json lines"],
            partList.Where(p => p.GetProperty("in_pipeline").GetBoolean()).Select(p => p.GetProperty("name").GetString()));
        foreach (var p in partList.Where(p => p.GetProperty("in_pipeline").GetBoolean())) Positive(p, "cpu_ms_per_frame");
        Positive(parts, "total_cpu_ms_per_frame");
        Positive(parts, "full_bound_fps");
        Assert.Contains(parts.GetProperty("dominant").GetString(), partList.Select(p => p.GetProperty("name").GetString()));
        // The bound spreads the work over the machine's cores.
        Assert.Equal(machine.GetProperty("cores").GetInt32(), parts.GetProperty("cores").GetInt32());

        var ratios = root.GetProperty("ratios");
        Positive(ratios, "pipeline_vs_bound");
        Positive(ratios, "pipeline_vs_full_bound");
        Positive(ratios, "parts_cpu_vs_pipeline_cpu");
        Positive(ratios, "pipeline_vs_sequential");
        Positive(ratios, "pipeline_vs_overlapped_models");
        Positive(ratios, "pose_batch8_vs_batch1");
        Positive(ratios, "pose_per_person_16_vs_1");

        Positive(root, "time_to_first_frame_ms");
        var memory = root.GetProperty("memory_mb");
        Assert.Equal(10, memory.GetProperty("checkpoint_frame").GetInt64());
        foreach (var m in new[] { "working_set_at_checkpoint", "working_set_at_end", "end_vs_checkpoint", "peak_working_set", "final_working_set" })
            Positive(memory, m);
        // The temporary outputs are removed; only the JSON stays.
        Assert.Equal(["bench.json"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void LoopedPipeline_WorkingSetAtTheEndStaysNearTheCheckpoint()
    {
        var dir = TestData.TempDir();
        // 12 passes over the 100-frame video: a leak of one frame buffer per frame would add over 1 GB.
        var root = RunBench(dir, "--sections", "pipeline", "--loop", "--frames", "1200", "--checkpoint", "400", "--warmup", "0");
        Assert.Equal(1200, root.GetProperty("pipeline").GetProperty("frames").GetInt64());
        var memory = root.GetProperty("memory_mb");
        Assert.Equal(400, memory.GetProperty("checkpoint_frame").GetInt64());
        double atCheckpoint = memory.GetProperty("working_set_at_checkpoint").GetDouble();
        double atEnd = memory.GetProperty("working_set_at_end").GetDouble();
        Assert.True(atEnd <= atCheckpoint * 1.25 + 20, $"working set grew from {atCheckpoint:F0} MiB at frame 400 to {atEnd:F0} MiB at frame 1200");
        // Sections not run are null, and so are the ratios that need them.
        Assert.Equal(JsonValueKind.Null, root.GetProperty("sequential").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("ratios").GetProperty("pipeline_vs_bound").ValueKind);
    }

    [Theory]
    [InlineData("--loop")]
    [InlineData("--sections", "nothing")]
    [InlineData("--frames", "0")]
    public void BadOptions_AreOneLineErrorsWithExitCode2(params string[] args)
    {
        var dir = TestData.TempDir();
        var r = CliProcess.Run(dir, ["bench", "--input", Video, .. args]);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("posetrack: error:", r.Stderr.Trim());
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }
}
