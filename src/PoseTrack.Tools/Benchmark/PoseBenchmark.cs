using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Inference;
using PoseTrack.Pipeline;
using PoseTrack.Pose;
using PoseTrack.Rendering;
using PoseTrack.Sinks;
using PoseTrack.Sources;
using PoseTrack.Tracking;

namespace PoseTrack.Benchmark;

/// <summary>
/// Measures where the time goes, all in one process and one run, in this order: a short pipeline run from the cold
/// start (time to first frame, and warm-up); the models alone over frames held in memory (detector, pose per crop at
/// batch 1/2/4/8, and the model bound: the best frame rate of the models alone, one frame at a time, over the session
/// settings tried); a one-thread loop doing the pipeline's work as a simple tool would (one intra-op thread per model,
/// crops one after another); then the real <see cref="PosePipeline"/>, with the working set at a checkpoint frame and
/// at its end. The loop and the pipeline write the same outputs (annotated video and JSON lines).
/// </summary>
public static class PoseBenchmark
{
    private const double MiB = 1024.0 * 1024.0;
    private static readonly int[] Batches = [1, 2, 4, 8];
    private static readonly int[] PeopleCounts = [1, 2, 4, 8, 16];

    /// <summary>Runs the sections asked for and returns every figure.</summary>
    /// <exception cref="PoseTrackException">Bad options or input.</exception>
    public static async Task<BenchmarkReport> RunAsync(BenchmarkOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var log = options.Log;
        bool tempOut = options.OutputDirectory is null;
        var outDir = options.OutputDirectory ?? Path.Combine(Path.GetTempPath(), $"posetrack-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(outDir);

        SourceInfo info;
        using (var probe = OpenInput(options.Input)) info = probe.Info;
        long frames = options.Frames ?? info.FrameCount
            ?? throw new PoseTrackException($"the length of {options.Input} is unknown: give --frames N");
        if (!options.Loop && info.FrameCount is { } count) frames = Math.Min(frames, count);

        var inference = options.Estimator.Inference;
        var pipelineSessions = SessionConfig.Of(inference);
        PoseEstimator? estimator = null;
        PoseEstimator? sequentialEstimator = null;
        try
        {
            estimator = PoseEstimator.Create(options.Estimator);
            ThroughputFigures? pipeline = null, sequential = null;
            IReadOnlyList<StageFigures>? stages = null;
            double? ttff = null;
            MemoryFigures? memory = null;
            ModelFigures? models = null;

            bool runPipeline = options.Sections.HasFlag(BenchmarkSections.Pipeline);
            // A short first pipeline run from the cold start gives the time to the first frame and warms the code up
            // (JIT, ONNX Runtime's first runs). The measured pipeline runs last, as warm as the phases it is compared with.
            long warm = Math.Min(frames, options.WarmUpFrames);
            if (runPipeline && warm > 0)
            {
                log?.Report($"pipeline warm-up: {warm} frames");
                ttff = (await RunPipelineAsync(options, estimator, warm, outDir, "warmup", pipelineSessions, ct).ConfigureAwait(false)).TimeToFirstFrameMs;
            }

            if (options.Sections.HasFlag(BenchmarkSections.Models))
                models = MeasureModels(options, estimator, pipelineSessions, frames, log, ct);

            PartsFigures? parts = null;
            if (options.Sections.HasFlag(BenchmarkSections.Parts))
            {
                log?.Report($"parts: each part alone, {Math.Min(frames, options.MaxHeldFrames)} frames ({pipelineSessions})");
                parts = PartsBenchmark.Measure(options, estimator, frames, outDir, ct);
                log?.Report($"parts: {parts.TotalCpuMsPerFrame:F1} ms CPU per frame, full bound {parts.FullBoundFps:F1} fps, most in {parts.Dominant?.Name}");
            }

            if (options.Sections.HasFlag(BenchmarkSections.Sequential))
            {
                // One thread of control, as a simple tool: one intra-op thread per model and the crops one after another.
                var oneThread = SessionConfig.OneThread;
                if (oneThread != pipelineSessions)
                    sequentialEstimator = PoseEstimator.Create(options.Estimator with { Inference = oneThread.Apply(inference) });
                log?.Report($"sequential loop: {frames} frames ({oneThread})");
                sequential = RunSequential(options, sequentialEstimator ?? estimator, frames, outDir, oneThread, ct);
                sequentialEstimator?.Dispose();
                sequentialEstimator = null;
            }

            if (runPipeline)
            {
                log?.Report($"pipeline: {frames} frames ({pipelineSessions})");
                var run = await RunPipelineAsync(options, estimator, frames, outDir, "pipeline", pipelineSessions, ct).ConfigureAwait(false);
                (pipeline, stages) = (run.Figures, run.Stages);
                ttff ??= run.TimeToFirstFrameMs;
                memory = new MemoryFigures(run.CheckpointFrame, run.CheckpointMb, run.EndMb, 0, 0);
            }

            using var self = Process.GetCurrentProcess();
            self.Refresh();
            double peak = self.PeakWorkingSet64 / MiB, final = self.WorkingSet64 / MiB;
            memory = memory is null ? null : memory with { PeakMb = peak, FinalMb = final };

            return new BenchmarkReport
            {
                Machine = Machine(estimator.Provider),
                Settings = new RunSettings(options.Input, info.Width, info.Height, info.Fps, frames, options.Loop,
                    estimator.DetectorName, estimator.PoseModelName, pipelineSessions.DetectorThreads, pipelineSessions.PoseThreads,
                    pipelineSessions.PoseRuns, pipelineSessions.SpinningText, estimator.PoseInternal.AcceptsBatches),
                Models = models,
                Sequential = sequential,
                Pipeline = pipeline,
                Stages = stages,
                TimeToFirstFrameMs = ttff,
                Memory = memory,
                Parts = parts,
            };
        }
        finally
        {
            sequentialEstimator?.Dispose();
            estimator?.Dispose();
            if (tempOut)
            {
                try { Directory.Delete(outDir, recursive: true); }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
        }
    }

    internal static IFrameSource OpenInput(string input, FrameSourceOptions? options = null)
    {
        var source = FrameSources.Open(input, options);
        if (source.Info.IsLive)
        {
            source.Dispose();
            throw new PoseTrackException($"bench needs a video file or image folder, not a live source ({input}): a camera or stream sets its own rate");
        }
        return source;
    }

    internal static IFrameSource OpenRun(BenchmarkOptions o, long frames) =>
        o.Loop ? new LoopingFrameSource(() => OpenInput(o.Input), frames) : OpenInput(o.Input);

    internal static List<IFrameSink> OpenSinks(string outDir, string name, SourceInfo info, PoseEstimator estimator)
    {
        var sinks = new List<IFrameSink>();
        try
        {
            sinks.Add(PartsBenchmark.OpenVideo(Path.Combine(outDir, name + ".mp4"), info));
            sinks.Add(new JsonLinesSink(Path.Combine(outDir, name + ".jsonl"),
                JsonLinesHeader.For(info, estimator.DetectorName, estimator.PoseModelName, estimator.Skeleton)));
            return sinks;
        }
        catch
        {
            foreach (var s in sinks) s.Dispose();
            throw;
        }
    }

    private sealed record PipelineRun(ThroughputFigures Figures, IReadOnlyList<StageFigures> Stages, double TimeToFirstFrameMs,
        long CheckpointFrame, double CheckpointMb, double EndMb);

    private static async Task<PipelineRun> RunPipelineAsync(BenchmarkOptions o, PoseEstimator estimator, long frames, string outDir,
        string name, SessionConfig sessions, CancellationToken ct)
    {
        using var source = OpenRun(o, frames);
        var sinks = OpenSinks(outDir, name, source.Info, estimator);
        try
        {
            long checkpoint = frames >= 2 * o.MemoryCheckpointFrame ? o.MemoryCheckpointFrame : Math.Max(1, frames / 2);
            double checkpointMb = 0;
            long firstTicks = 0, lastTicks = 0;
            DateTime firstUtc = default;
            var progress = new SynchronousProgress<PipelineProgress>(p =>
            {
                long now = Stopwatch.GetTimestamp();
                if (p.FramesDone == 1) { firstTicks = now; firstUtc = DateTime.UtcNow; }
                lastTicks = now;
                if (p.FramesDone == checkpoint) checkpointMb = WorkingSetMb();
                if (p.FramesDone % 1000 == 0) o.Log?.Report($"pipeline: frame {p.FramesDone}, {p.Fps:F1} fps, working set {WorkingSetMb():F0} MiB");
            });
            var pipeline = new PosePipeline(estimator, o.Pipeline with { MaxFrames = frames });
            var cpu0 = LoadMeter.OwnCpu();
            double children0 = CpuClock.ChildrenMs();
            long alloc0 = GC.GetTotalAllocatedBytes();
            var load = LoadMeter.Start();
            long start = Stopwatch.GetTimestamp();
            var summary = await pipeline.RunAsync(source, sinks, progress, ct, ct).ConfigureAwait(false);
            double endMb = WorkingSetMb();
            if (summary.SourceProblem is not null) throw new PoseTrackException($"input {o.Input}: {summary.SourceProblem}");
            if (summary.Frames == 0) throw new PoseTrackException($"input {o.Input} gave no frames");

            var figures = Throughput(summary.Frames, start, firstTicks, lastTicks, sessions, cpu0, load, alloc0, children0);
            double wall = summary.Elapsed.TotalMilliseconds;
            var stages = summary.Stages.Select(s => new StageFigures(s.Name, s.Frames,
                s.Frames > 0 ? s.Busy.TotalMilliseconds / s.Frames : 0, wall > 0 ? s.Busy.TotalMilliseconds / wall : 0, s.MeanQueueDepth)).ToList();
            using var self = Process.GetCurrentProcess();
            double ttff = (firstUtc - self.StartTime.ToUniversalTime()).TotalMilliseconds;
            return new PipelineRun(figures, stages, ttff, Math.Min(checkpoint, summary.Frames), checkpointMb, endMb);
        }
        finally
        {
            foreach (var s in sinks) s.Dispose();
        }
    }

    private static ThroughputFigures Throughput(long frames, long start, long firstTicks, long lastTicks, SessionConfig sessions, TimeSpan cpuAtStart,
        LoadMeter load, long allocatedAtStart, double childrenAtStart)
    {
        double allocatedKb = (GC.GetTotalAllocatedBytes() - allocatedAtStart) / 1024.0;
        double cpuMs = (LoadMeter.OwnCpu() - cpuAtStart).TotalMilliseconds;
        double total = Stopwatch.GetElapsedTime(start, lastTicks).TotalSeconds;
        double steady = Stopwatch.GetElapsedTime(firstTicks, lastTicks).TotalSeconds;
        double fps = frames > 1 && steady > 0 ? (frames - 1) / steady : total > 0 ? frames / total : 0;
        return new ThroughputFigures(frames, total, fps, Stopwatch.GetElapsedTime(start, firstTicks).TotalMilliseconds, sessions.ToString(),
            frames > 0 ? cpuMs / frames : 0, load.OtherCores(), frames > 0 ? allocatedKb / frames : 0)
        {
            // The writer child has exited (the sinks were completed) and been waited for: its time is counted now.
            ChildCpuMsPerFrame = frames > 0 ? (CpuClock.ChildrenMs() - childrenAtStart) / frames : 0,
        };
    }

    /// <summary>
    /// Model-only figures over held frames. The bound tries the pipeline's session settings and a few others (each a
    /// fresh pair of sessions): the fastest, one frame at a time, is the bound, and the one-thread loop later runs with it.
    /// </summary>
    private static ModelFigures MeasureModels(BenchmarkOptions o, PoseEstimator estimator,
        SessionConfig sessions, long frames, IProgress<string>? log, CancellationToken ct)
    {
        var held = new List<Mat>();
        try
        {
            using (var source = OpenInput(o.Input))
            {
                int want = (int)Math.Min(o.MaxHeldFrames, frames);
                while (held.Count < want)
                {
                    var m = new Mat();
                    if (!source.Read(m, out _)) { m.Dispose(); break; }
                    held.Add(m);
                }
            }
            if (held.Count == 0) throw new PoseTrackException($"input {o.Input} gave no frames");
            log?.Report($"models: {held.Count} frames held in memory");
            var load = LoadMeter.Start();

            var det = estimator.DetectorInternal;
            var pose = estimator.PoseInternal;
            var boxes = held.Select(f => det.Detect(f)).ToList(); // also the warm-up

            var detMs = new List<double>();
            for (int i = 0; detMs.Count < Math.Max(30, held.Count); i = (i + 1) % held.Count)
            {
                ct.ThrowIfCancellationRequested();
                long t0 = Stopwatch.GetTimestamp();
                det.Detect(held[i]);
                detMs.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }

            var (batches, crops) = MeasurePoseBatches(pose, held, boxes, ct);
            var scaling = MeasurePeopleScaling(pose, held, boxes, ct);

            var candidates = new List<BoundCandidate>();
            double bestFps = SequentialModels(estimator, held, ct);
            var best = sessions;
            candidates.Add(new BoundCandidate($"sequential, {sessions}", bestFps));
            double overlapped = OverlappedModels(estimator, held, o.Pipeline.ChannelCapacity, ct);
            foreach (var config in SessionConfig.Alternatives(o.Estimator.Inference).Where(c => c != sessions))
            {
                ct.ThrowIfCancellationRequested();
                using var other = PoseEstimator.Create(o.Estimator with { Inference = config.Apply(o.Estimator.Inference) });
                double fps = SequentialModels(other, held, ct);
                candidates.Add(new BoundCandidate($"sequential, {config}", fps));
                if (fps > bestFps) (bestFps, best) = (fps, config);
            }
            log?.Report($"models: bound {bestFps:F1} fps ({best})");
            return new ModelFigures(held.Count, boxes.Average(b => b.Count), crops, TimingStats.Of(detMs), batches, scaling,
                bestFps, $"sequential, {best}", candidates, overlapped, load.OtherCores());
        }
        finally
        {
            foreach (var m in held) m.Dispose();
        }
    }

    /// <summary>Pose model run time per crop at each batch size, over real crops packed beforehand (model run only).</summary>
    private static (IReadOnlyList<PoseBatchFigures> Batches, int Crops) MeasurePoseBatches(TopDownPoseEstimator pose, List<Mat> held,
        List<IReadOnlyList<PersonDetection>> boxes, CancellationToken ct)
    {
        const int maxCrops = 64;
        int item = 3 * pose.InputWidth * pose.InputHeight;
        var packed = new List<float[]>();
        int crops = 0;
        for (int i = 0; i < held.Count && crops < maxCrops; i++)
        {
            if (boxes[i].Count == 0) continue;
            var take = boxes[i].Take(maxCrops - crops).ToList();
            packed.Add(pose.PackCrops(held[i], take));
            crops += take.Count;
        }
        if (crops == 0) return ([], 0);
        int available = Math.Max(crops, Batches.Max());
        var input = new float[available * item];
        var all = packed.SelectMany(p => p).ToArray();
        for (int c = 0; c < available; c++) Array.Copy(all, (c % crops) * item, input, c * item, item);

        var result = new List<PoseBatchFigures>();
        foreach (int b in Batches)
        {
            if (b > 1 && !pose.AcceptsBatches) break;
            using (pose.Model.Run(input, 0, b, pose.InputHeight, pose.InputWidth)) { } // warm-up: a new shape is planned once
            var ms = new List<double>();
            int runs = Math.Max(12, available / b);
            for (int r = 0; r < runs; r++)
            {
                ct.ThrowIfCancellationRequested();
                int offset = (r * b) % (available - b + 1);
                long t0 = Stopwatch.GetTimestamp();
                using (pose.Model.Run(input, offset * item, b, pose.InputHeight, pose.InputWidth)) { }
                ms.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds / b);
            }
            result.Add(new PoseBatchFigures(b, TimingStats.Of(ms)));
        }
        return (result, crops);
    }

    /// <summary>
    /// The pose stage as the pipeline runs it (crops warped, run side by side or batched, decoded, mapped back) on the
    /// held frame with the most people, given 1, 2, 4, 8 and 16 of its boxes (repeated when it has fewer): how the
    /// cost grows as people are added.
    /// </summary>
    private static IReadOnlyList<PeopleScalingFigures> MeasurePeopleScaling(TopDownPoseEstimator pose, List<Mat> held,
        List<IReadOnlyList<PersonDetection>> boxes, CancellationToken ct)
    {
        int busiest = 0;
        for (int i = 1; i < boxes.Count; i++) if (boxes[i].Count > boxes[busiest].Count) busiest = i;
        var real = boxes[busiest];
        if (real.Count == 0) return [];
        var result = new List<PeopleScalingFigures>();
        foreach (int n in PeopleCounts)
        {
            var frameBoxes = Enumerable.Range(0, n).Select(i => real[i % real.Count]).ToList();
            pose.Estimate(held[busiest], frameBoxes);   // warm-up (buffers sized for n)
            var ms = new List<double>();
            for (int r = 0; r < Math.Max(10, 64 / n); r++)
            {
                ct.ThrowIfCancellationRequested();
                long t0 = Stopwatch.GetTimestamp();
                pose.Estimate(held[busiest], frameBoxes);
                ms.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            result.Add(new PeopleScalingFigures(n, TimingStats.Of(ms)));
        }
        return result;
    }

    /// <summary>Frames needed for a rate to mean something when few frames are held.</summary>
    private static int BoundFrames(int held) => Math.Max(held, 50);

    /// <summary>Detector then pose on each held frame, one thread.</summary>
    private static double SequentialModels(PoseEstimator estimator, List<Mat> held, CancellationToken ct)
    {
        var det = estimator.DetectorInternal;
        var pose = estimator.PoseInternal;
        pose.Estimate(held[0], det.Detect(held[0])); // warm-up
        int n = BoundFrames(held.Count);
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            ct.ThrowIfCancellationRequested();
            var f = held[i % held.Count];
            pose.Estimate(f, det.Detect(f));
        }
        return n / Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    /// <summary>The detector on one thread and the pose model on another, joined by a bounded queue.</summary>
    private static double OverlappedModels(PoseEstimator estimator, List<Mat> held, int capacity, CancellationToken ct)
    {
        var det = estimator.DetectorInternal;
        var pose = estimator.PoseInternal;
        pose.Estimate(held[0], det.Detect(held[0]));
        int n = BoundFrames(held.Count);
        using var queue = new System.Collections.Concurrent.BlockingCollection<(Mat, IReadOnlyList<PersonDetection>)>(Math.Max(1, capacity));
        long t0 = Stopwatch.GetTimestamp();
        Exception? error = null;
        var detector = new Thread(() =>
        {
            try { for (int i = 0; i < n && !ct.IsCancellationRequested; i++) { var f = held[i % held.Count]; queue.Add((f, det.Detect(f))); } }
            catch (Exception e) { error = e; }
            finally { queue.CompleteAdding(); }
        }) { IsBackground = true, Name = "bench-detect" };
        detector.Start();
        int done = 0;
        foreach (var (f, b) in queue.GetConsumingEnumerable()) { pose.Estimate(f, b); done++; }
        detector.Join();
        if (error is not null) throw new PipelineException($"benchmark detector thread: {error.Message}", error);
        ct.ThrowIfCancellationRequested();
        return done / Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    /// <summary>decode → detect → pose → track → draw → encode + JSON, one frame at a time on this thread.</summary>
    private static ThroughputFigures RunSequential(BenchmarkOptions o, PoseEstimator estimator, long frames, string outDir, SessionConfig sessions, CancellationToken ct)
    {
        using var source = OpenRun(o, frames);
        var info = source.Info;
        var sinks = OpenSinks(outDir, "sequential", info, estimator);
        using var mat = new Mat();
        try
        {
            var po = o.Pipeline;
            var tracker = po.CreateTracker(info.Fps);
            var renderer = new SkeletonRenderer(po.RendererOptions());
            var det = estimator.DetectorInternal;
            var pose = estimator.PoseInternal;

            var cpu0 = LoadMeter.OwnCpu();
            double children0 = CpuClock.ChildrenMs();
            long alloc0 = GC.GetTotalAllocatedBytes();
            var load = LoadMeter.Start();
            long start = Stopwatch.GetTimestamp(), first = 0, last = 0, n = 0;
            while (n < frames && source.Read(mat, out var timeMs))
            {
                ct.ThrowIfCancellationRequested();
                var persons = pose.EstimateDistinct(mat, det.Detect(mat));
                var tracked = tracker.Update(persons, timeMs / 1000.0);
                renderer.Draw(mat, tracked);
                if (po.Overlay)
                {
                    double secs = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    renderer.DrawOverlay(mat, $"{(secs > 0 ? (n + 1) / secs : 0):F1} fps  {tracked.Count} people");
                }
                var result = new FrameResult(n, timeMs, mat.Cols, mat.Rows, tracked);
                foreach (var sink in sinks) sink.Write(result, sink.NeedsImage ? mat : null);
                n++;
                last = Stopwatch.GetTimestamp();
                if (n == 1) first = last;
            }
            foreach (var sink in sinks) sink.Complete();
            if (n == 0) throw new PoseTrackException($"input {o.Input} gave no frames");
            return Throughput(n, start, first, last, sessions, cpu0, load, alloc0, children0);
        }
        finally
        {
            foreach (var s in sinks) s.Dispose();
        }
    }

    private static double WorkingSetMb()
    {
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64 / MiB;
    }

    internal static MachineFigures Machine(string provider)
    {
        string cpu = RuntimeInformation.ProcessArchitecture.ToString();
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (line is not null && line.IndexOf(':') is var c and >= 0) cpu = line[(c + 1)..].Trim();
            }
        }
        catch (IOException) { }
        string ort;
        try { ort = PoseTrack.Inference.OrtLog.Environment().GetVersionString(); }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException) { ort = "unknown"; }
        return new MachineFigures(Environment.ProcessorCount, cpu, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, ort, provider);
    }

    /// <summary>The session settings that matter for speed, as the report names them.</summary>
    private sealed record SessionConfig(int DetectorThreads, int PoseThreads, int PoseRuns, bool? Spinning)
    {
        public string SpinningText => Spinning switch { true => "on", false => "off", null => "default" };

        public static SessionConfig Of(InferenceOptions o) =>
            new(o.ForDetector().IntraOpThreads, o.ForPose().IntraOpThreads, o.PoseRunsSideBySide(), o.ForDetector().AllowSpinning);

        /// <summary>One intra-op thread per session, crops one after another: everything on the caller's thread.</summary>
        public static SessionConfig OneThread { get; } = new(1, 1, 1, null);

        /// <summary>Other settings the bound tries: the automatic ones, ONNX Runtime's default (one spinning thread per
        /// core in each session), the same without spinning, and one thread for everything.</summary>
        public static IEnumerable<SessionConfig> Alternatives(InferenceOptions o)
        {
            int cores = Environment.ProcessorCount;
            yield return Of(new InferenceOptions(o.Device));
            yield return new SessionConfig(cores, cores, 1, null);
            if (cores > 1) yield return new SessionConfig(cores, cores, 1, false);
            yield return OneThread;
        }

        public InferenceOptions Apply(InferenceOptions o) => o with
        {
            IntraOpThreads = 0, DetectorIntraOpThreads = DetectorThreads, PoseIntraOpThreads = PoseThreads,
            PoseParallelRuns = PoseRuns, AllowSpinning = Spinning,
        };

        public override string ToString() =>
            $"det {DetectorThreads} + pose {PoseThreads} thr{(PoseRuns > 1 ? $" x{PoseRuns} runs" : "")}, spin {SpinningText}";
    }
}
