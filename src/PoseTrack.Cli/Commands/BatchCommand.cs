using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using PoseTrack.Core;
using PoseTrack.Pipeline;
using PoseTrack.Sources;
using Spectre.Console;

namespace PoseTrack.Cli.Commands;

/// <summary>
/// <c>posetrack batch DIR|GLOB --output-dir OUT [--jobs N] [--video] [run options]</c>: every video of a folder (or
/// matching a file pattern) through the pipeline, N at a time on one shared detector and pose model, into
/// <c>OUT/&lt;stem&gt;.jsonl</c> (and <c>.mp4</c> with --video). Resumable: a video is written under
/// <c>&lt;stem&gt;.partial.*</c> and renamed to its final name only once it ran to its end, so a finished log is
/// skipped on the next run and an unfinished one (stopped, killed, failed) is redone.
/// </summary>
internal static class BatchCommand
{
    private static readonly string[] VideoExtensions = [".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm", ".ts", ".mts", ".mpg", ".mpeg", ".wmv", ".flv"];
    private const string Partial = ".partial";

    public static Command Create()
    {
        var cmd = new Command("batch", "Run every video of a folder (or a file pattern) into an output folder, N at a time; resumable");
        var inputArg = new Argument<string>("DIR|GLOB") { Description = "A folder of videos, or a file pattern such as videos/*.mp4" };
        var outDir = new Option<string>("--output-dir") { Description = "Folder for OUT/<stem>.jsonl (and .mp4 with --video); created if missing", Required = true };
        var jobs = new Option<int?>("--jobs", "-j") { Description = "Videos run at a time, sharing one detector and pose model (default: half the cores, at least 1)" };
        var video = new Option<bool>("--video") { Description = "Also write the annotated video OUT/<stem>.mp4" };
        var pipeline = new PipelineArgs();
        var models = new ModelArgs();
        cmd.Arguments.Add(inputArg);
        cmd.Options.Add(outDir); cmd.Options.Add(jobs); cmd.Options.Add(video);
        pipeline.AddTo(cmd);
        models.AddTo(cmd);
        var metrics = new MetricsArgs();
        metrics.AddTo(cmd);

        cmd.SetAction((r, ct) => CliErrors.GuardAsync(async () =>
        {
            if (r.GetValue(pipeline.Input) is { Length: > 0 } || r.GetValue(pipeline.Sources) is not null || r.GetValue(pipeline.Camera) is not null)
                throw new PoseTrackException("batch takes its videos as DIR|GLOB, not --input, --sources or --camera");
            if (r.GetValue(pipeline.Json) is not null || r.GetValue(pipeline.Mot) is not null || r.GetValue(pipeline.PoseTrackJson) is not null || r.GetValue(pipeline.Csv) is not null)
                throw new PoseTrackException("batch writes OUT/<stem>.jsonl itself: give --output-dir, not --json, --mot, --csv or --posetrack");
            int n = r.GetValue(jobs) ?? Math.Max(1, Environment.ProcessorCount / 2);
            if (n is < 1 or > 64) throw new PoseTrackException($"--jobs must be from 1 to 64 (got {n})");
            var videos = FindVideos(r.GetValue(inputArg)!);
            var output = r.GetValue(outDir)!;
            Directory.CreateDirectory(output);
            bool quiet = r.GetValue(pipeline.Quiet);
            using var loggers = Logging.Create(quiet, r.GetValue(pipeline.Verbose));
            var pipelineOptions = pipeline.Build(r, overlay: true) with { DropFrames = DropFramesMode.Off };
            using var exporter = metrics.Start(r);
            return await RunAsync(videos, output, n, r.GetValue(video), models.Build(r, loggers), pipelineOptions, pipeline.BuildSource(r), quiet, loggers, exporter).ConfigureAwait(false);
        }));
        return cmd;
    }

    /// <summary>The videos of a folder (by extension, not recursive), or the files a pattern (<c>*</c> and <c>?</c> in the file name) matches; sorted.</summary>
    internal static List<string> FindVideos(string input)
    {
        IEnumerable<string> files;
        if (Directory.Exists(input))
            files = Directory.EnumerateFiles(input).Where(f => VideoExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()));
        else if (input.IndexOfAny(['*', '?']) >= 0)
        {
            var dir = Path.GetDirectoryName(input) is { Length: > 0 } d ? d : ".";
            var pattern = Path.GetFileName(input);
            if (dir.IndexOfAny(['*', '?']) >= 0) throw new PoseTrackException($"batch: wildcards only in the file name, not the folder ({input})");
            if (!Directory.Exists(dir)) throw new PoseTrackException($"batch: folder does not exist: {dir}");
            files = Directory.EnumerateFiles(dir, pattern);
        }
        else if (File.Exists(input)) files = [input];
        else throw new PoseTrackException($"batch: no such folder or file: {input}");
        var list = files.Where(f => !Path.GetFileName(f).Contains(Partial + ".", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        if (list.Count == 0) throw new PoseTrackException($"batch: no videos in {input}");
        return list;
    }

    private sealed record Job(StreamInput Stream, string Json, string? Video)
    {
        public string PartialJson => PartialOf(Json);
        public string? PartialVideo => Video is null ? null : PartialOf(Video);
        private static string PartialOf(string path) => Path.Combine(Path.GetDirectoryName(path)!, Path.GetFileNameWithoutExtension(path) + Partial + Path.GetExtension(path));
    }

    private sealed record JobResult(string Name, string State, long Frames, double Seconds, int Tracks, string? Problem);

    private static async Task<int> RunAsync(List<string> videos, string outDir, int jobs, bool writeVideo, PoseEstimatorOptions estimatorOptions,
        PipelineOptions pipelineOptions, FrameSourceOptions sourceOptions, bool quiet, ILoggerFactory loggers, StreamMetrics? metrics)
    {
        var log = loggers.CreateLogger("posetrack");
        var all = StreamInputs.Name(videos.Select(v => ((string?)null, v)))
            .Select(s => new Job(s, Path.Combine(outDir, s.Name + ".jsonl"), writeVideo ? Path.Combine(outDir, s.Name + ".mp4") : null)).ToList();
        // A finished video has its final log (written under .partial and renamed only once the run reached the end).
        var results = new JobResult?[all.Count];
        var pending = new List<int>();
        for (int i = 0; i < all.Count; i++)
        {
            if (File.Exists(all[i].Json) && (all[i].Video is null || File.Exists(all[i].Video)))
                results[i] = new JobResult(all[i].Stream.Name, "skipped", 0, 0, 0, "finished before");
            else pending.Add(i);
        }
        if (!quiet) Console.Error.WriteLine($"batch: {all.Count} videos, {all.Count - pending.Count} finished before, {pending.Count} to run, {Math.Min(jobs, Math.Max(1, pending.Count))} at a time");

        using var interrupts = new RunInterrupts(TimeSpan.FromSeconds(1));
        if (pending.Count > 0)
        {
            SharedModels.ReserveThreads(Math.Min(jobs, pending.Count));
            using var estimator = PoseEstimator.Create(estimatorOptions);
            var detector = SharedModels.Serialise(estimator.Detector);
            var pose = SharedModels.Serialise(estimator.PoseModel);
            long framesDone = 0, totalFrames = 0;
            int videosDone = 0;
            var started = Stopwatch.GetTimestamp();
            var lastLine = Stopwatch.GetTimestamp();
            var gate = new Lock();
            void Progress()
            {
                if (quiet) return;
                lock (gate)
                {
                    if (Stopwatch.GetElapsedTime(lastLine) < TimeSpan.FromSeconds(5)) return;
                    lastLine = Stopwatch.GetTimestamp();
                    double secs = Stopwatch.GetElapsedTime(started).TotalSeconds, fps = secs > 0 ? Interlocked.Read(ref framesDone) / secs : 0;
                    long left = Interlocked.Read(ref totalFrames) - Interlocked.Read(ref framesDone);
                    string eta = fps > 0 && left > 0 ? $", eta {TimeSpan.FromSeconds(left / fps):hh\\:mm\\:ss}" : "";
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"batch: {Volatile.Read(ref videosDone)}/{pending.Count} videos done, {fps:F1} frames/s{eta}"));
                }
            }
            // Frame counts for the ETA (an estimate for files whose container does not say).
            foreach (var i in pending)
            {
                // OpenCV only reads the header and first frame here (no decoder child started just to count).
                try { using var probe = FrameSources.Open(all[i].Stream.Input, sourceOptions with { Decoder = VideoDecoder.OpenCv }); totalFrames += Math.Min(probe.Info.FrameCount ?? 0, pipelineOptions.MaxFrames ?? long.MaxValue); }
                catch (PoseTrackException) { /* reported when it runs */ }
            }

            // The videos are taken in their listed order (a semaphore would let any waiting video go next): with
            // --jobs 1 an archive is worked through alphabetically, and a killed batch leaves the videos after the
            // unfinished one untouched.
            var order = new System.Collections.Concurrent.ConcurrentQueue<int>(pending);
            var runs = Enumerable.Range(0, Math.Min(jobs, pending.Count)).Select(_ => Task.Run(async () =>
            {
                while (!interrupts.Stop.IsCancellationRequested && !interrupts.Abort.IsCancellationRequested && order.TryDequeue(out var i))
                {
                    metrics?.Starting(all[i].Stream.Name);
                    long seen = 0;
                    var progress = new SynchronousProgress<PipelineProgress>(p =>
                    {
                        Interlocked.Add(ref framesDone, p.FramesDone - seen);
                        seen = p.FramesDone;
                        metrics?.Report(all[i].Stream.Name, p);
                        Progress();
                    });
                    results[i] = await RunOneAsync(all[i], estimator, detector, pose, pipelineOptions, sourceOptions, log, progress, interrupts).ConfigureAwait(false);
                    metrics?.Ended(all[i].Stream.Name, results[i]!.State, results[i]!.Problem);
                    Interlocked.Increment(ref videosDone);
                    Progress();
                }
            })).ToArray();
            try { await Task.WhenAll(runs).ConfigureAwait(false); }
            catch (OperationCanceledException) when (interrupts.Abort.IsCancellationRequested) { }
        }

        var final = all.Select((j, i) => results[i] ?? new JobResult(j.Stream.Name, "not run", 0, 0, 0, null)).ToList();
        PrintTable(final, quiet);
        int failed = final.Count(x => x.State == "failed");
        if (failed > 0) return CliErrors.Report($"batch: {failed} of {final.Count} videos failed: {string.Join(", ", final.Where(x => x.State == "failed").Select(x => x.Name))}");
        if (interrupts.Stop.IsCancellationRequested)
        {
            Console.Error.WriteLine("posetrack: batch stopped; the unfinished videos are redone on the next run");
            return CliErrors.Interrupted;
        }
        return CliErrors.Ok;
    }

    private static async Task<JobResult> RunOneAsync(Job job, PoseEstimator estimator, PoseTrack.Detection.IPersonDetector detector, PoseTrack.Pose.IPoseModel pose,
        PipelineOptions pipelineOptions, FrameSourceOptions sourceOptions, ILogger log, IProgress<PipelineProgress> progress, RunInterrupts interrupts)
    {
        var name = job.Stream.Name;
        var started = Stopwatch.GetTimestamp();
        try
        {
            OutputPaths.Check([("video", job.Stream.Input)], ("--output-dir", job.PartialJson), ("--output-dir", job.PartialVideo));
            PipelineSummary summary;
            using (var source = FrameSources.Open(job.Stream.Input, sourceOptions with { Logger = log }, interrupts.Stop.Token))
            {
                var sinks = PipelineRunner.CreateSinks(new RunOutputs(job.PartialVideo, job.PartialJson, null, null, false, null), source.Info, estimator, name, () => { }, pipelineOptions);
                try
                {
                    var pipeline = new PosePipeline(detector, pose, null, pipelineOptions, log);
                    summary = await pipeline.RunAsync(source, sinks, progress, interrupts.Stop.Token, interrupts.Abort.Token).ConfigureAwait(false);
                }
                finally
                {
                    foreach (var s in sinks) s.Dispose();
                }
            }
            if (summary.SourceProblem is { } problem)
                return Failed(job, $"{problem}; redone on the next run", summary.Frames, started) with { Tracks = summary.TracksSeen };
            if (summary.Stopped) return new JobResult(name, "stopped", summary.Frames, summary.Elapsed.TotalSeconds, summary.TracksSeen, null);
            // Finished: the video first, then the log, whose final name marks the whole job as done.
            if (job.PartialVideo is not null) File.Move(job.PartialVideo, job.Video!, overwrite: true);
            File.Move(job.PartialJson, job.Json, overwrite: true);
            return new JobResult(name, "done", summary.Frames, summary.Elapsed.TotalSeconds, summary.TracksSeen, null);
        }
        catch (OperationCanceledException) when (interrupts.Abort.IsCancellationRequested)
        {
            return new JobResult(name, "stopped", 0, Stopwatch.GetElapsedTime(started).TotalSeconds, 0, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Failed(job, e is PoseTrackException ? e.Message : $"{e.GetType().Name}: {e.Message}", 0, started);
        }
    }

    private static JobResult Failed(Job job, string message, long frames, long started)
    {
        Console.Error.WriteLine($"posetrack: error: video {job.Stream.Name}: {Secrets.Redact(message)}");
        return new JobResult(job.Stream.Name, "failed", frames, Stopwatch.GetElapsedTime(started).TotalSeconds, 0, message);
    }

    private static void PrintTable(IReadOnlyList<JobResult> results, bool quiet)
    {
        if (Console.IsOutputRedirected || quiet)
        {
            foreach (var x in results)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"video={x.Name} frames={x.Frames} seconds={x.Seconds:F2} fps={(x.Seconds > 0 ? x.Frames / x.Seconds : 0):F2} tracks={x.Tracks} state={x.State.Replace(' ', '-')}"));
            Console.WriteLine($"done={results.Count(x => x.State == "done")} skipped={results.Count(x => x.State == "skipped")} failed={results.Count(x => x.State == "failed")} total={results.Count}");
            return;
        }
        var table = new Table().AddColumns("video", "frames", "time", "fps", "tracks", "state");
        foreach (var x in results)
            table.AddRow(Markup.Escape(x.Name), x.Frames.ToString(CultureInfo.InvariantCulture), string.Create(CultureInfo.InvariantCulture, $"{x.Seconds:F1} s"),
                (x.Seconds > 0 ? x.Frames / x.Seconds : 0).ToString("F1", CultureInfo.InvariantCulture), x.Tracks.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(x.Problem is null || x.State == "skipped" ? x.State : $"{x.State}: {Secrets.Redact(x.Problem)}"));
        AnsiConsole.Write(table);
    }
}
