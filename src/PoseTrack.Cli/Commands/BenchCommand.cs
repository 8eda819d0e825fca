using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using PoseTrack.Benchmark;
using PoseTrack.Core;
using PoseTrack.Pipeline;
using Spectre.Console;

namespace PoseTrack.Cli.Commands;

/// <summary>
/// <c>posetrack bench --input VIDEO [--frames N] [--loop] [--json FILE]</c>: model-only timings, the model bound, the
/// sequential loop and the real pipeline on the same input in one run, with their ratios, per-stage busy time,
/// time to first frame and working set. A table on a terminal, plain text when redirected; --json writes the same figures.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "Measure the models, a one-thread loop and the pipeline on a video, and how they compare");
        var input = new Option<string?>("--input", "-i") { Description = "Video file (or image folder) to run on" };
        var frames = new Option<long?>("--frames") { Description = "Frames to run (default: the input once)" };
        var loop = new Option<bool>("--loop") { Description = "Start the input again at its end until --frames frames are done (memory soak)" };
        var json = new Option<string?>("--json") { Description = "Write the figures as JSON to this file" };
        var sections = new Option<string>("--sections") { Description = "What to run: all, or a comma list of pipeline, models, sequential, parts", DefaultValueFactory = _ => "all" };
        var detThreads = new Option<int?>("--det-threads") { Description = "Detector intra-op threads (default: --threads)" };
        var poseThreads = new Option<int?>("--pose-threads") { Description = "Pose model intra-op threads (default: --threads)" };
        var poseRuns = new Option<int?>("--pose-runs") { Description = "Pose runs of one frame's crops side by side (default: cores / pose threads)" };
        var spin = Choices.Of<bool?>("--spin", "Intra-op thread spinning: on, off or default", () => new PoseTrack.Inference.InferenceOptions().AllowSpinning,
            [("on", true), ("off", false), ("default", null)]);
        var capacity = new Option<int>("--channel-capacity") { Description = "Frames each channel between pipeline stages holds", DefaultValueFactory = _ => new PipelineOptions().ChannelCapacity };
        var checkpoint = new Option<long>("--checkpoint") { Description = "Frame at which the pipeline's working set is recorded (compared with the end)", DefaultValueFactory = _ => new BenchmarkOptions { Input = "" }.MemoryCheckpointFrame };
        var warmup = new Option<long>("--warmup") { Description = "Frames of a first, cold pipeline run (gives the time to first frame; the measured runs are then warm)", DefaultValueFactory = _ => new BenchmarkOptions { Input = "" }.WarmUpFrames };
        var outDir = new Option<string?>("--output-dir") { Description = "Keep the annotated videos and JSON lines in this folder (default: a temporary folder, deleted)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress lines" };
        var streams = new Option<int?>("--streams") { Description = "Run N copies of the input through one process (one pipeline each, one shared detector and pose model) and compare the aggregate fps with one stream alone (only this is measured then)" };
        var models = new ModelArgs();
        Limits.AtMost(detThreads, Limits.Cores, Limits.CoresWhy);
        Limits.AtMost(poseThreads, Limits.Cores, Limits.CoresWhy);
        Limits.AtMost(poseRuns, Limits.Cores, Limits.CoresWhy);
        Limits.AtMost(capacity, Limits.MaxChannelCapacity, "each unit holds about six frames in memory; 4 is the default");
        foreach (var o in new Option[] { input, frames, loop, json, sections, detThreads, poseThreads, poseRuns, spin, capacity, checkpoint, warmup, outDir, quiet, streams })
            cmd.Options.Add(o);
        models.AddTo(cmd);

        cmd.SetAction((r, ct) => CliErrors.GuardAsync(ct, async token =>
        {
            var path = r.GetValue(input) ?? throw new PoseTrackException("bench needs --input VIDEO");
            var jsonPath = r.GetValue(json);
            OutputPaths.Check([("--input", path)], ("--json", jsonPath));
            var keep = r.GetValue(outDir);
            if (keep is not null && !Directory.Exists(keep)) throw new PoseTrackException($"output folder does not exist: {keep}");
            bool q = r.GetValue(quiet);
            using var loggers = Logging.Create(quiet: true, verbose: false);
            var estimator = models.Build(r, loggers);
            int? dt = r.GetValue(detThreads), pt = r.GetValue(poseThreads);
            if (dt is < 0) throw new PoseTrackException($"--det-threads must be 0 or more (got {dt})");
            if (r.GetValue(poseRuns) is < 1) throw new PoseTrackException($"--pose-runs must be at least 1 (got {r.GetValue(poseRuns)})");
            if (pt is < 0) throw new PoseTrackException($"--pose-threads must be 0 or more (got {pt})");
            bool? spinning = r.GetValue(spin);
            estimator = estimator with
            {
                Inference = estimator.Inference with
                {
                    DetectorIntraOpThreads = dt ?? estimator.Inference.DetectorIntraOpThreads,
                    PoseIntraOpThreads = pt ?? estimator.Inference.PoseIntraOpThreads,
                    AllowSpinning = spinning ?? estimator.Inference.AllowSpinning,
                    PoseParallelRuns = r.GetValue(poseRuns) ?? estimator.Inference.PoseParallelRuns,
                },
            };
            var options = new BenchmarkOptions
            {
                Input = path,
                Frames = r.GetValue(frames),
                Loop = r.GetValue(loop),
                Estimator = estimator,
                // --preset sets the detection rate too (fast: every 2nd frame); bench has no --det-every of its own.
                Pipeline = new PipelineOptions { ChannelCapacity = r.GetValue(capacity), DropFrames = DropFramesMode.Off, DetectEvery = Presets.Current(r).DetectEvery },
                Sections = ParseSections(r.GetValue(sections) ?? "all"),
                MemoryCheckpointFrame = r.GetValue(checkpoint),
                WarmUpFrames = r.GetValue(warmup),
                OutputDirectory = keep,
                Log = q ? null : new SynchronousProgress<string>(line => Console.Error.WriteLine($"bench: {line}")),
            };
            OptionNames.Check(options.Validate, OptionNames.Bench);
            if (r.GetValue(streams) is { } n)
            {
                if (n is < 1 or > 64) throw new PoseTrackException($"--streams must be from 1 to 64 (got {n})");
                var streamsReport = await StreamsBenchmark.RunAsync(options, n, token).ConfigureAwait(false);
                PrintStreams(streamsReport);
                if (jsonPath is not null) await File.WriteAllTextAsync(jsonPath, streamsReport.ToJson() + "\n", token).ConfigureAwait(false);
                return CliErrors.Ok;
            }
            var report = await PoseBenchmark.RunAsync(options, token).ConfigureAwait(false);
            Print(report);
            if (jsonPath is not null)
            {
                using var stream = File.Create(jsonPath);
                using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
                report.WriteJson(w);
            }
            return CliErrors.Ok;
        }, handleCtrlC: true));
        return cmd;
    }

    private static BenchmarkSections ParseSections(string text)
    {
        var result = (BenchmarkSections)0;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            result |= part.ToLowerInvariant() switch
            {
                "all" => BenchmarkSections.All,
                "pipeline" => BenchmarkSections.Pipeline,
                "models" => BenchmarkSections.Models,
                "sequential" => BenchmarkSections.Sequential,
                "parts" => BenchmarkSections.Parts,
                var p => throw new PoseTrackException($"unknown --sections part '{p}' (use all, pipeline, models, sequential, parts)"),
            };
        }
        if (result == 0) throw new PoseTrackException("--sections names nothing to run");
        return result;
    }

    private static string F(double v, string format = "F2") => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";
    private static string F(double? v, string format = "F2") => v is { } x ? F(x, format) : "n/a";

    /// <summary>Rows of (section, figure, value), shared by the table and the plain text.</summary>
    private static List<(string Section, string Figure, string Value)> Rows(BenchmarkReport r)
    {
        var rows = new List<(string, string, string)>();
        var m = r.Machine;
        rows.Add(("machine", "cpu", $"{m.CpuModel}, {m.Cores} cores"));
        rows.Add(("machine", "runtime", $"{m.Runtime}, ONNX Runtime {m.OnnxRuntime}"));
        rows.Add(("machine", "execution provider", m.ExecutionProvider));
        var others = new[] { r.Models?.OtherCores, r.Sequential?.OtherCores, r.Pipeline?.OtherCores }.Where(x => x is { } v && double.IsFinite(v)).Select(x => x!.Value).ToList();
        if (others.Count > 0) rows.Add(("machine", "other processes meanwhile", $"{F(others.Max(), "F2")} cores at most (0 = a quiet machine)"));
        var s = r.Settings;
        rows.Add(("input", s.Input, $"{s.Width}x{s.Height} at {F(s.Fps, "F1")} fps, {s.Frames} frames{(s.Loop ? " (looped)" : "")}"));
        rows.Add(("input", "models", $"{s.Detector} ({s.DetectorThreads} thread(s)) + {s.PoseModel} ({s.PoseThreads} thread(s), {s.PoseRuns} run(s) side by side, {(s.PoseBatched ? "takes batches" : "batch 1 only")}), spinning {s.Spinning}"));
        if (r.Models is { } mo)
        {
            rows.Add(("models", "detector per frame", $"median {F(mo.Detector.MedianMs)} ms, p90 {F(mo.Detector.P90Ms)} ms ({mo.HeldFrames} frames, {F(mo.MeanPeople, "F1")} people each)"));
            foreach (var b in mo.PoseBatches)
                rows.Add(("models", $"pose per crop, batch {b.Batch}", $"median {F(b.PerCrop.MedianMs)} ms, p90 {F(b.PerCrop.P90Ms)} ms"));
            foreach (var p in mo.PeopleScaling)
                rows.Add(("models", $"pose stage, {p.People} {(p.People == 1 ? "person" : "people")} in a frame", $"median {F(p.PerFrame.MedianMs)} ms per frame, {F(p.MsPerPerson)} ms per person"));
            foreach (var c in mo.Candidates)
                rows.Add(("models", $"models only: {c.Name}", $"{F(c.Fps, "F1")} fps"));
            rows.Add(("models", "models only: overlapped as in the pipeline", $"{F(mo.OverlappedFps, "F1")} fps"));
            rows.Add(("throughput", "model bound", $"{F(mo.BoundFps, "F1")} fps ({mo.BoundBy})"));
        }
        if (r.Sequential is { } sq) rows.Add(("throughput", "sequential loop", $"{F(sq.Fps, "F1")} fps ({sq.Frames} frames in {F(sq.Seconds)} s, {F(sq.CpuMsPerFrame, "F1")} ms CPU and {F(sq.AllocatedKbPerFrame, "F0")} KiB allocated per frame; {sq.Sessions})"));
        if (r.Pipeline is { } pl) rows.Add(("throughput", "pipeline", $"{F(pl.Fps, "F1")} fps ({pl.Frames} frames in {F(pl.Seconds)} s, {F(pl.CpuMsPerFrame, "F1")} ms CPU (+{F(pl.ChildCpuMsPerFrame, "F1")} ms in the writer child) and {F(pl.AllocatedKbPerFrame, "F0")} KiB allocated per frame; {pl.Sessions})"));
        if (r.Parts is { } parts)
        {
            foreach (var p in parts.Parts)
                rows.Add(("parts (CPU ms/frame)", p.Name, $"{F(p.CpuMsPerFrame)} ms"));
            rows.Add(("parts (CPU ms/frame)", "all parts of the pipeline", $"{F(parts.TotalCpuMsPerFrame)} ms; most in {parts.Dominant?.Name} ({F(parts.DominantShare * 100, "F0")}%)"));
            rows.Add(("parts (CPU ms/frame)", "clock", $"{parts.Clock}; {parts.Frames} frames"));
            rows.Add(("throughput", "full bound", $"{F(parts.FullBoundFps, "F1")} fps (every part's CPU time spread over {parts.Cores} cores)"));
        }
        rows.Add(("ratios", "pipeline vs bound (models only)", F(r.PipelineVsBound, "F3")));
        rows.Add(("ratios", "pipeline vs full bound", F(r.PipelineVsFullBound, "F3")));
        rows.Add(("ratios", "parts' CPU vs the pipeline's (1 = no overhead; hardly moved by load)", F(r.PartsVsPipelineCpu, "F3")));
        rows.Add(("ratios", "pipeline vs sequential", F(r.PipelineVsSequential, "F3")));
        rows.Add(("ratios", "pipeline vs models overlapped", F(r.PipelineVsOverlapped, "F3")));
        rows.Add(("ratios", "pose batch 8 vs batch 1 (per crop)", F(r.Models?.PoseBatch8VsBatch1, "F3")));
        rows.Add(("ratios", "pose per person, 16 people vs 1", F(r.Models?.PerPerson16VsOne, "F3")));
        if (r.Stages is { } stages)
            foreach (var st in stages)
                rows.Add(("stages", st.Name, $"{F(st.BusyMsPerFrame)} ms/frame busy, {F(st.Utilisation * 100, "F0")}% of wall time, input queue {F(st.MeanQueueDepth, "F1")}"));
        if (r.TimeToFirstFrameMs is { } ttff) rows.Add(("latency", "process start to first frame out", $"{F(ttff, "F0")} ms"));
        if (r.Memory is { } mem)
        {
            rows.Add(("memory", $"working set at frame {mem.CheckpointFrame}", $"{F(mem.AtCheckpointMb, "F1")} MiB"));
            rows.Add(("memory", "working set at the last frame", $"{F(mem.AtEndMb, "F1")} MiB ({F((mem.EndVsCheckpoint - 1) * 100, "+0.0;-0.0")}%)"));
            rows.Add(("memory", "peak / final working set", $"{F(mem.PeakMb, "F1")} / {F(mem.FinalMb, "F1")} MiB"));
        }
        return rows;
    }

    private static void PrintStreams(StreamsReport r)
    {
        var rows = new List<(string, string, string)>
        {
            ("machine", "cpu", $"{r.Machine.CpuModel}, {r.Machine.Cores} cores"),
            ("machine", "other processes meanwhile", $"{F(r.OtherCores, "F2")} cores (0 = a quiet machine)"),
            ("input", r.Input, $"{r.FramesPerStream} frames a stream"),
            ("streams", "models", r.Sharing),
            ("streams", "single stream", $"{F(r.SingleFps, "F1")} fps"),
        };
        foreach (var s in r.PerStream) rows.Add(("streams", s.Name, $"{F(s.Fps, "F1")} fps ({s.Frames} frames in {F(s.Seconds)} s)"));
        rows.Add(("streams", $"aggregate, {r.Streams} streams", $"{F(r.AggregateFps, "F1")} fps"));
        rows.Add(("ratios", "streams vs single", F(r.StreamsVsSingle, "F3")));
        PrintRows(rows);
    }

    private static void Print(BenchmarkReport report) => PrintRows(Rows(report));

    private static void PrintRows(List<(string Section, string Figure, string Value)> rows)
    {
        if (Console.IsOutputRedirected)
        {
            int w0 = rows.Max(x => x.Section.Length), w1 = rows.Max(x => x.Figure.Length);
            foreach (var (section, figure, value) in rows)
                Console.WriteLine($"{section.PadRight(w0)}  {figure.PadRight(w1)}  {value}");
            return;
        }
        var table = new Table().AddColumns("", "figure", "value");
        string? last = null;
        foreach (var (section, figure, value) in rows)
        {
            table.AddRow(Markup.Escape(section == last ? "" : section), Markup.Escape(figure), Markup.Escape(value));
            last = section;
        }
        AnsiConsole.Write(table);
    }
}
