using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using PoseTrack.Core;
using PoseTrack.Pipeline;
using PoseTrack.Sinks;
using PoseTrack.Sources;
using Spectre.Console;

namespace PoseTrack.Cli;

/// <summary>What one pipeline run writes.</summary>
internal sealed record RunOutputs(string? Video, string? Json, string? Mot, string? PoseTrackJson, bool Show, string? FourCc)
{
    /// <summary>--csv: one row per person per frame (frame, time, track id, score, box, then x, y, score per joint).</summary>
    public string? Csv { get; init; }
    /// <summary>--codec: opencv (OpenCV's writer), mpeg4 (ffmpeg's mpeg4), h264 (ffmpeg's libx264), auto (h264 when ffmpeg is
    /// installed); null = the default (<see cref="WriterFor"/>).</summary>
    public string? Codec { get; init; }

    /// <summary>
    /// The writer of a video at <paramref name="path"/>: what <see cref="Codec"/> names; by default ffmpeg's mpeg4 for
    /// .mp4/.m4v/.mov when ffmpeg is installed and no FourCC is given (the same codec OpenCV's writer uses there, at
    /// about a third of its processor time: posetrack bench at 1920×1440 measured 25 against 84 ms CPU per frame),
    /// else OpenCV's. .mkv and .avi keep OpenCV's writer by default: what a killed run leaves of them is documented for it.
    /// </summary>
    public string WriterFor(string path)
    {
        bool ffmpeg = FfmpegSource.FindOnPath("ffmpeg") is not null;
        return Codec switch
        {
            "auto" => FourCc is null && ffmpeg ? "h264" : "opencv",
            null => FourCc is null && ffmpeg && Path.GetExtension(path).ToLowerInvariant() is ".mp4" or ".m4v" or ".mov" ? "mpeg4" : "opencv",
            var c => c,
        };
    }
    /// <summary>--segment: the video and the JSON lines are written as closed segments of this much frame time; null: one file each.</summary>
    public TimeSpan? Segment { get; init; }
    /// <summary>--output-scale: the annotated video's size over the input's (0 &lt; F ≤ 1; 1 = the input's size). The JSON
    /// outputs stay in input pixels.</summary>
    public double OutputScale { get; init; } = 1;

    /// <summary>The annotated video's frame size for an input of <paramref name="width"/>×<paramref name="height"/>:
    /// scaled by <see cref="OutputScale"/>, rounded to even sizes (yuv420p) and at least 2×2.</summary>
    public (int Width, int Height) VideoSize(int width, int height) => OutputScale >= 1 ? (width, height)
        : (Math.Max(2, (int)Math.Round(width * OutputScale / 2) * 2), Math.Max(2, (int)Math.Round(height * OutputScale / 2) * 2));
}

/// <summary>
/// Runs the pipeline for the CLI: opens the source and sinks, shows progress (a live bar on a terminal, a plain line
/// every few seconds when redirected, nothing with --quiet), handles Ctrl+C (first press drains and finalises,
/// second press stops at once) and prints the summary.
/// </summary>
internal static class PipelineRunner
{
    /// <summary>Longest the frames in flight may take to finish after Ctrl+C or SIGTERM (the rest of 2 s closes the outputs).</summary>
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(string input, RunOutputs outputs, PoseEstimatorOptions estimatorOptions,
        PipelineOptions pipelineOptions, FrameSourceOptions sourceOptions, bool quiet, ILoggerFactory loggers)
    {
        var log = loggers.CreateLogger("posetrack");
        // Before anything is opened: no output is the input or another output, and no other run is writing one.
        OutputPaths.Check([("--input", input)], ("--output", outputs.Video), ("--json", outputs.Json), ("--mot", outputs.Mot), ("--posetrack", outputs.PoseTrackJson), ("--csv", outputs.Csv));

        using var interrupts = new RunInterrupts(DrainLimit);
        var stop = interrupts.Stop;
        var abort = interrupts.Abort;
        try
        {
            // The log receives the source's warnings (image-folder files skipped or resized) so the user sees them.
            var source = FrameSources.Open(input, sourceOptions.Logger is null ? sourceOptions with { Logger = log } : sourceOptions, stop.Token);
            // After a second Ctrl+C the source may still be blocked in a read: the process exit releases it instead.
            using var disposeSource = new SourceRelease(source, abort.Token);
            var info = source.Info;
            using var estimator = PoseEstimator.Create(estimatorOptions);
            var sinks = new List<IFrameSink>();
            try
            {
                sinks.AddRange(CreateSinks(outputs, info, estimator, "posetrack", interrupts.QuitFromWindow, pipelineOptions, input, log, (source as ImageFolderSource)?.Images));
                log.LogInformation("Input {Input}: {W}x{H} at {Fps:F2} fps{Frames}; models {Detector} + {Pose} on {Provider}",
                    info.Description, info.Width, info.Height, info.Fps, info.FrameCount is { } n ? $", {(info.FrameCountIsExact ? "" : "about ")}{n} frames" : "",
                    estimator.DetectorName, estimator.PoseModelName, estimator.Provider);

                var pipeline = new PosePipeline(estimator, pipelineOptions, log);
                // Frames left after --start (at the file's rate), then --max-frames: what the progress bar counts to.
                long? left = info.FrameCount is { } fc ? Math.Max(0, fc - (long)Math.Ceiling(pipelineOptions.StartSeconds * info.Fps - 1e-6)) : null;
                long? total = left is { } l ? Math.Min(l, pipelineOptions.MaxFrames ?? long.MaxValue) : pipelineOptions.MaxFrames;
                var summary = await RunWithProgressAsync(pipeline, source, sinks, total, quiet, stop.Token, abort.Token).ConfigureAwait(false);

                PrintSummary(summary, outputs, sinks, quiet);
                if (!info.FrameCountIsExact && info.FrameCount is { } estimate && summary.SourceProblem is null && !summary.Stopped
                    && pipelineOptions.StartSeconds == 0 && pipelineOptions.MaxFrames is null && summary.Frames != estimate)
                    log.LogInformation("Read {Frames} frames to the end of {Input} (its container estimated {Estimate} from duration and rate)",
                        summary.Frames, info.Description, estimate);
                if (summary.SourceProblem is not null)
                    return CliErrors.Report($"input {info.Description}: {summary.SourceProblem}; the {summary.Frames} frames before it were written");
                if (summary.Frames == 0 && !summary.Stopped && pipelineOptions.StartSeconds > 0)
                    return CliErrors.Report(string.Create(CultureInfo.InvariantCulture,
                        $"--start {pipelineOptions.StartSeconds} s is at or past the end of {info.Description}: no frames were processed"));
                return CliErrors.ForStop(summary.Stopped, interrupts.QuitInWindowOnly);
            }
            finally
            {
                foreach (var s in sinks) s.Dispose();
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            Console.Error.WriteLine("posetrack: interrupted; outputs were closed at the last complete frame");
            return CliErrors.Interrupted;
        }
    }

    /// <summary>
    /// The sinks a run's outputs ask for, over one source (the preview window calls <paramref name="onQuit"/> on q or
    /// Esc). The JSON lines header records <paramref name="pipelineOptions"/> and the estimator's options as its settings.
    /// </summary>
    internal static List<IFrameSink> CreateSinks(RunOutputs outputs, SourceInfo info, PoseEstimator estimator, string windowTitle, Action onQuit,
        PipelineOptions pipelineOptions, string? input = null, ILogger? log = null, IReadOnlyList<string>? images = null)
    {
        var sinks = new List<IFrameSink>();
        try
        {
            var (videoW, videoH) = outputs.VideoSize(info.Width, info.Height);
            IFrameSink OpenVideo(string path) => outputs.WriterFor(path) switch
            {
                "h264" => new FfmpegVideoSink(path, videoW, videoH, info.Fps, FfmpegVideoCodec.H264),
                "mpeg4" => new FfmpegVideoSink(path, videoW, videoH, info.Fps, FfmpegVideoCodec.Mpeg4),
                _ => new VideoFileSink(path, videoW, videoH, info.Fps, outputs.FourCc),
            };
            var settings = SettingsJson.For(estimator, pipelineOptions, info.Fps);
            JsonLinesHeader Header(IFrameSink? video) => JsonLinesHeader.For(info, estimator.DetectorName, estimator.PoseModelName, estimator.Skeleton)
                with { ToolVersion = JsonLinesHeader.LibraryVersion, Provider = estimator.Provider, Settings = settings, VideoSize = video switch { VideoFileSink v => (v.WrittenSize.Width, v.WrittenSize.Height), FfmpegVideoSink x => (x.WrittenSize.Width, x.WrittenSize.Height), _ => null } };
            if (outputs.Segment is { } every && (outputs.Video is not null || outputs.Json is not null))
            {
                // --segment: the video and the log rotate together; the other outputs stay one file for the run.
                var reserved = new List<(string, string?)> { ("--output", outputs.Video), ("--json", outputs.Json), ("--mot", outputs.Mot), ("--posetrack", outputs.PoseTrackJson), ("--csv", outputs.Csv) };
                if (input is not null && (File.Exists(input) || Directory.Exists(input))) reserved.Add(("--input", input));
                sinks.Add(new SegmentedOutputs(every, outputs.Video is not null,
                    seg => new[] { ("--output", outputs.Video), ("--json", outputs.Json) }.Where(p => p.Item2 is not null).Select(p => (p.Item1, seg.PathFor(p.Item2!))).ToList(),
                    seg =>
                    {
                        var opened = new List<IFrameSink>();
                        try
                        {
                            IFrameSink? video = outputs.Video is not null ? OpenVideo(seg.PathFor(outputs.Video)) : null;
                            if (video is not null) opened.Add(video);
                            if (outputs.Json is not null)
                                opened.Add(new JsonLinesSink(seg.PathFor(outputs.Json), Header(video) with
                                {
                                    FrameCount = null,   // the input's count is the run's, not this segment's
                                    Created = DateTimeOffset.UtcNow,
                                    Segment = new JsonLinesSegment(seg.Index, seg.StartMs, seg.StartUtc, every.TotalMilliseconds),
                                }));
                        }
                        catch
                        {
                            foreach (var o in opened) o.Dispose();
                            throw;
                        }
                        log?.LogInformation("Segment {Index}: writing {Files}", seg.Index, string.Join(" and ", opened.Select(o => o switch
                        {
                            VideoFileSink v => v.Path, FfmpegVideoSink f => f.Path, JsonLinesSink j => j.Path, _ => "",
                        })));
                        return opened;
                    }, reserved));
            }
            else
            {
                if (outputs.Video is not null) sinks.Add(OpenVideo(outputs.Video));
                if (outputs.Json is not null) sinks.Add(new JsonLinesSink(outputs.Json, Header(sinks.FirstOrDefault())));
            }
            if (outputs.Mot is not null) sinks.Add(new MotFileSink(outputs.Mot));
            if (outputs.Csv is not null) sinks.Add(new CsvFileSink(outputs.Csv, estimator.Skeleton));
            if (outputs.PoseTrackJson is not null) sinks.Add(new PoseTrackJsonSink(outputs.PoseTrackJson, estimator.Skeleton, PoseTrackSequence.For(info.Description, images, info.FrameCountIsExact ? info.FrameCount : null)));
            if (outputs.Show) sinks.Add(new PreviewWindowSink(windowTitle, onQuit));
            return sinks;
        }
        catch
        {
            foreach (var s in sinks) s.Dispose();
            throw;
        }
    }

    internal static async Task<PipelineSummary> RunWithProgressAsync(PosePipeline pipeline, IFrameSource source, IReadOnlyList<IFrameSink> sinks,
        long? total, bool quiet, CancellationToken stop, CancellationToken abort)
    {
        if (quiet) return await pipeline.RunAsync(source, sinks, null, stop, abort).ConfigureAwait(false);

        if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            PipelineSummary? summary = null;
            await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask("frames", maxValue: total ?? 1);
                    task.IsIndeterminate = total is null;
                    var progress = new Progress<PipelineProgress>(p =>
                    {
                        task.Value = total is null ? 0 : p.FramesDone;
                        task.Description = string.Create(CultureInfo.InvariantCulture,
                            $"{p.FramesDone}{(total is { } t ? "/" + t : "")} frames  {p.Fps:F1} fps  {p.People} people{(p.Dropped > 0 ? $"  {p.Dropped} dropped" : "")}");
                    });
                    summary = await pipeline.RunAsync(source, sinks, progress, stop, abort).ConfigureAwait(false);
                    task.Value = task.MaxValue;
                }).ConfigureAwait(false);
            return summary!;
        }

        // Redirected: a plain line every few seconds on stderr, nothing that needs a terminal.
        var every = TimeSpan.FromSeconds(5);
        var last = Stopwatch.GetTimestamp();
        var plain = new SynchronousProgress<PipelineProgress>(p =>
        {
            if (Stopwatch.GetElapsedTime(last) < every) return;
            last = Stopwatch.GetTimestamp();
            string eta = total is { } t && p.Fps > 0 ? $", eta {TimeSpan.FromSeconds((t - p.FramesDone) / p.Fps):hh\\:mm\\:ss}" : "";
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"progress: frame {p.FramesDone}{(total is { } tt ? "/" + tt : "")}, {p.Fps:F1} fps, {p.People} people{eta}"));
        });
        return await pipeline.RunAsync(source, sinks, plain, stop, abort).ConfigureAwait(false);
    }

    private static void PrintSummary(PipelineSummary s, RunOutputs outputs, IEnumerable<IFrameSink> sinks, bool quiet)
    {
        // With --segment the files written are the segments' (listed by SegmentedOutputs), not the names given.
        var segmented = sinks.OfType<SegmentedOutputs>().FirstOrDefault();
        var files = segmented is null ? new[] { outputs.Video, outputs.Json, outputs.Mot, outputs.PoseTrackJson, outputs.Csv }
            : segmented.Files.Select(f => (string?)f.Path).Concat([outputs.Mot, outputs.PoseTrackJson, outputs.Csv]);
        var written = files.Where(p => p is not null).Select(p => Path.GetFullPath(p!));
        if (Console.IsOutputRedirected || quiet)
        {
            // Machine-readable: key=value lines on stdout.
            // Live sources add their interruptions and the end-to-end latency (arrival from the source → written by every sink).
            var live = s.LatencyP50 is { } p50 && s.LatencyP95 is { } p95
                ? string.Create(CultureInfo.InvariantCulture, $" gaps={s.Gaps} latency_p50_ms={p50.TotalMilliseconds:F0} latency_p95_ms={p95.TotalMilliseconds:F0}")
                : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"frames={s.Frames} seconds={s.Elapsed.TotalSeconds:F2} fps={s.MeanFps:F2} tracks={s.TracksSeen} rejected={s.Tracking.PersonsRejected} refound={s.Tracking.TracksRefound} dropped={s.DroppedFrames} stopped={(s.Stopped ? "true" : "false")}{live}"));
            foreach (var w in written) Console.WriteLine($"wrote={w}");
            return;
        }
        var table = new Table().AddColumns("frames", "time", "mean fps", "tracks seen", "persons rejected", "dropped frames");
        var cells = new List<string> { s.Frames.ToString(CultureInfo.InvariantCulture), $"{s.Elapsed.TotalSeconds:F1} s", s.MeanFps.ToString("F1", CultureInfo.InvariantCulture),
            s.TracksSeen.ToString(CultureInfo.InvariantCulture), s.Tracking.PersonsRejected.ToString(CultureInfo.InvariantCulture), s.DroppedFrames.ToString(CultureInfo.InvariantCulture) };
        if (s.LatencyP50 is { } l50 && s.LatencyP95 is { } l95)
        {
            table.AddColumns("gaps", "latency p50 / p95");
            cells.Add(s.Gaps.ToString(CultureInfo.InvariantCulture));
            cells.Add(string.Create(CultureInfo.InvariantCulture, $"{l50.TotalMilliseconds:F0} / {l95.TotalMilliseconds:F0} ms"));
        }
        table.AddRow(cells.ToArray());
        AnsiConsole.Write(table);
        foreach (var w in written) AnsiConsole.MarkupLineInterpolated($"wrote [green]{w}[/]");
    }

    /// <summary>Disposes the source unless the run was aborted (a read may still be running on it then).</summary>
    internal sealed class SourceRelease(IFrameSource source, CancellationToken aborted) : IDisposable
    {
        public void Dispose() { if (!aborted.IsCancellationRequested) source.Dispose(); }
    }
}

/// <summary>
/// Ctrl+C and SIGTERM during a run: the first stops reading and lets the frames in flight finish (the drain is bounded,
/// then the run aborts at the last complete frame), a second aborts at once.
/// </summary>
internal sealed class RunInterrupts : IDisposable
{
    private readonly TimeSpan _drainLimit;
    private readonly ConsoleCancelEventHandler _onCancel;
    private readonly IDisposable _sigterm;
    private int _presses;
    private bool _quitInWindow;

    public CancellationTokenSource Stop { get; } = new();
    public CancellationTokenSource Abort { get; } = new();

    public RunInterrupts(TimeSpan drainLimit)
    {
        _drainLimit = drainLimit;
        _onCancel = (_, e) => { e.Cancel = true; OnInterrupt(); };
        Console.CancelKeyPress += _onCancel;
        _sigterm = Interrupts.OnTerminate(OnInterrupt);
    }

    /// <summary>True when the run was stopped in the preview window only (q or Esc: a deliberate end, not an interruption).</summary>
    public bool QuitInWindowOnly => Volatile.Read(ref _quitInWindow) && Volatile.Read(ref _presses) == 0;

    /// <summary>The preview window's q or Esc: stop reading, as a first Ctrl+C does, but without the message.</summary>
    public void QuitFromWindow() { Volatile.Write(ref _quitInWindow, true); Stop.Cancel(); }

    private void OnInterrupt()
    {
        if (Interlocked.Increment(ref _presses) == 1)
        {
            Console.Error.WriteLine("posetrack: stopping: finishing the frames in flight (press Ctrl+C again to quit now)");
            Stop.Cancel();
            // Draining is bounded so a stop is honoured within 2 s however slow the machine: after this the run
            // ends at the last complete frame (every output still closed and valid), as on a second press.
            Abort.CancelAfter(_drainLimit);
        }
        else Abort.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= _onCancel;
        _sigterm.Dispose();
        Stop.Dispose();
        Abort.Dispose();
    }
}
