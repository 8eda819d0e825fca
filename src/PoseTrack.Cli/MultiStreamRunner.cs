using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using PoseTrack.Core;
using PoseTrack.Pipeline;
using PoseTrack.Sinks;
using PoseTrack.Sources;
using Spectre.Console;

namespace PoseTrack.Cli;

/// <summary>How one stream of a multi-stream run ended.</summary>
internal enum StreamState { Done, Stopped, Failed, Interrupted }

/// <summary>One line of a multi-stream run's summary.</summary>
internal sealed record StreamOutcome(string Name, string Input, StreamState State, long Frames, TimeSpan Elapsed, long Dropped, int Tracks,
    string? Problem, IReadOnlyList<string> Written)
{
    public double Fps => Elapsed.TotalSeconds > 0 ? Frames / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Several inputs in one process: one pipeline per stream (its own tracker and smoother, frame numbering and
/// outputs, so ids start at 1 in each stream), all served by ONE detector and ONE pose model whose calls are
/// serialised (<see cref="SharedModels"/>). A stream that fails (cannot be opened, broken mid-way) is reported with
/// its name and the others run to their end; the exit code is non-zero when any stream failed.
/// </summary>
internal static class MultiStreamRunner
{
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(IReadOnlyList<StreamInput> streams, RunOutputs outputs, PoseEstimatorOptions estimatorOptions,
        PipelineOptions pipelineOptions, FrameSourceOptions sourceOptions, bool quiet, ILoggerFactory loggers, StreamMetrics? metrics = null)
    {
        var log = loggers.CreateLogger("posetrack");
        var perStream = streams.Select(s => OutputsFor(outputs, s.Name)).ToList();
        // Before anything is opened: no output is an input or another output (of any stream), and no other run writes one.
        OutputPaths.Check(streams.Select(s => ($"--input {s.Name}", (string?)s.Input)).ToArray(),
            perStream.SelectMany((o, i) => new[] { ("--output", o.Video), ("--json", o.Json), ("--mot", o.Mot), ("--posetrack", o.PoseTrackJson), ("--csv", o.Csv) }
                .Select(x => ($"{x.Item1} ({streams[i].Name})", x.Item2))).ToArray());

        using var interrupts = new RunInterrupts(DrainLimit);
        SharedModels.ReserveThreads(streams.Count);
        using var estimator = PoseEstimator.Create(estimatorOptions);
        var detector = SharedModels.Serialise(estimator.Detector);
        var pose = SharedModels.Serialise(estimator.PoseModel);
        log.LogInformation("{Count} streams sharing models {Detector} + {Pose} on {Provider}", streams.Count,
            estimator.DetectorName, estimator.PoseModelName, estimator.Provider);

        var progress = new ProgressLines(streams.Select(s => s.Name).ToArray(), quiet, metrics);
        foreach (var s in streams) metrics?.Starting(s.Name);
        var runs = streams.Select((s, i) => Task.Run(async () =>
        {
            var outcome = await RunStreamAsync(s, perStream[i], i, estimator, detector, pose, pipelineOptions, sourceOptions, log, progress, interrupts).ConfigureAwait(false);
            metrics?.Ended(outcome.Name, StateText(outcome), outcome.Problem);   // /healthz says so at once, not when the last stream ends
            return outcome;
        })).ToArray();
        var outcomes = await Task.WhenAll(runs).ConfigureAwait(false);

        PrintSummary(outcomes, quiet);
        if (outcomes.Any(o => o.State == StreamState.Failed))
        {
            var failed = outcomes.Where(o => o.State == StreamState.Failed).ToList();
            return CliErrors.Report($"{failed.Count} of {outcomes.Length} streams failed: {string.Join(", ", failed.Select(f => f.Name))}");
        }
        if (outcomes.Any(o => o.State == StreamState.Interrupted))
        {
            Console.Error.WriteLine("posetrack: interrupted; outputs were closed at the last complete frame");
            return CliErrors.Interrupted;
        }
        return CliErrors.ForStop(outcomes.Any(o => o.State == StreamState.Stopped), interrupts.QuitInWindowOnly);
    }

    /// <summary>The outputs of one stream: every path with {name} replaced.</summary>
    public static RunOutputs OutputsFor(RunOutputs outputs, string name) => outputs with
    {
        Video = StreamInputs.Expand(outputs.Video, name),
        Json = StreamInputs.Expand(outputs.Json, name),
        Mot = StreamInputs.Expand(outputs.Mot, name),
        Csv = StreamInputs.Expand(outputs.Csv, name),
        PoseTrackJson = StreamInputs.Expand(outputs.PoseTrackJson, name),
    };

    private static async Task<StreamOutcome> RunStreamAsync(StreamInput stream, RunOutputs outputs, int index, PoseEstimator estimator,
        PoseTrack.Detection.IPersonDetector detector, PoseTrack.Pose.IPoseModel pose, PipelineOptions pipelineOptions,
        FrameSourceOptions sourceOptions, ILogger log, ProgressLines progress, RunInterrupts interrupts)
    {
        var written = new[] { outputs.Video, outputs.Json, outputs.Mot, outputs.PoseTrackJson, outputs.Csv }.Where(p => p is not null).Select(p => Path.GetFullPath(p!)).ToList();
        var started = Stopwatch.GetTimestamp();
        StreamOutcome Ended(StreamState state, string? problem) => new(stream.Name, stream.Input, state, progress.Frames(index),
            Stopwatch.GetElapsedTime(started), progress.Dropped(index), progress.Tracks(index), problem, written);
        try
        {
            var source = FrameSources.Open(stream.Input, sourceOptions.Logger is null ? sourceOptions with { Logger = log } : sourceOptions, interrupts.Stop.Token);
            using var release = new PipelineRunner.SourceRelease(source, interrupts.Abort.Token);
            var info = source.Info;
            var sinks = PipelineRunner.CreateSinks(outputs, info, estimator, $"posetrack: {stream.Name}", interrupts.QuitFromWindow, pipelineOptions, images: (source as ImageFolderSource)?.Images);
            try
            {
                log.LogInformation("Stream {Name}: {Input}: {W}x{H} at {Fps:F2} fps", stream.Name, info.Description, info.Width, info.Height, info.Fps);
                var pipeline = new PosePipeline(detector, pose, null, pipelineOptions, log);
                var summary = await pipeline.RunAsync(source, sinks, progress.For(index), interrupts.Stop.Token, interrupts.Abort.Token).ConfigureAwait(false);
                var state = summary.SourceProblem is not null ? StreamState.Failed : summary.Stopped ? StreamState.Stopped : StreamState.Done;
                var problem = summary.SourceProblem is { } p ? $"{p}; the {summary.Frames} frames before it were written" : null;
                if (problem is not null) StreamFailed(stream, problem);
                return new StreamOutcome(stream.Name, stream.Input, state, summary.Frames, summary.Elapsed, summary.DroppedFrames, summary.TracksSeen, problem, written);
            }
            finally
            {
                foreach (var s in sinks) s.Dispose();
            }
        }
        catch (OperationCanceledException) when (interrupts.Abort.IsCancellationRequested)
        {
            return Ended(StreamState.Interrupted, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One stream's failure stays its own: reported with its name, the other streams run on.
            var message = e is PoseTrackException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            StreamFailed(stream, message);
            return Ended(StreamState.Failed, message);
        }
    }

    private static void StreamFailed(StreamInput stream, string message) =>
        Console.Error.WriteLine($"posetrack: error: stream {stream.Name}: {Secrets.Redact(message)}");

    private static string StateText(StreamOutcome o) => o.State switch
    {
        StreamState.Done => "done",
        StreamState.Stopped => "stopped",
        StreamState.Interrupted => "interrupted",
        _ => "failed",
    };

    private static void PrintSummary(IReadOnlyList<StreamOutcome> outcomes, bool quiet)
    {
        if (Console.IsOutputRedirected || quiet)
        {
            // Machine-readable: one key=value line per stream on stdout, then what was written.
            foreach (var o in outcomes)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"stream={o.Name} frames={o.Frames} seconds={o.Elapsed.TotalSeconds:F2} fps={o.Fps:F2} tracks={o.Tracks} dropped={o.Dropped} state={StateText(o)}"));
            foreach (var o in outcomes)
                foreach (var w in o.Written) Console.WriteLine($"wrote={w}");
            return;
        }
        var table = new Table().AddColumns("stream", "frames", "time", "fps", "tracks", "dropped", "state");
        foreach (var o in outcomes)
            table.AddRow(Markup.Escape(o.Name), o.Frames.ToString(CultureInfo.InvariantCulture), string.Create(CultureInfo.InvariantCulture, $"{o.Elapsed.TotalSeconds:F1} s"),
                o.Fps.ToString("F1", CultureInfo.InvariantCulture), o.Tracks.ToString(CultureInfo.InvariantCulture), o.Dropped.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(o.Problem is null ? StateText(o) : $"{StateText(o)}: {Secrets.Redact(o.Problem)}"));
        AnsiConsole.Write(table);
        foreach (var o in outcomes)
            foreach (var w in o.Written) AnsiConsole.MarkupLineInterpolated($"wrote [green]{w}[/]");
    }

    /// <summary>
    /// Per-stream counters fed by each pipeline's progress, and (unless quiet) one plain line on stderr every few
    /// seconds with every stream's frames and fps.
    /// </summary>
    internal sealed class ProgressLines(string[] names, bool quiet, StreamMetrics? metrics = null)
    {
        private readonly long[] _frames = new long[names.Length];
        private readonly long[] _dropped = new long[names.Length];
        private readonly int[] _tracks = new int[names.Length];
        private readonly double[] _fps = new double[names.Length];
        private readonly Lock _gate = new();
        private long _last = Stopwatch.GetTimestamp();
        private static readonly TimeSpan Every = TimeSpan.FromSeconds(5);

        public long Frames(int i) => Interlocked.Read(ref _frames[i]);
        public long Dropped(int i) => Interlocked.Read(ref _dropped[i]);
        public int Tracks(int i) => Volatile.Read(ref _tracks[i]);

        public IProgress<PipelineProgress> For(int i) => new SynchronousProgress<PipelineProgress>(p =>
        {
            Interlocked.Exchange(ref _frames[i], p.FramesDone);
            Interlocked.Exchange(ref _dropped[i], p.Dropped);
            Volatile.Write(ref _fps[i], p.Fps);
            metrics?.Report(names[i], p);
            if (quiet) return;
            lock (_gate)
            {
                if (Stopwatch.GetElapsedTime(_last) < Every) return;
                _last = Stopwatch.GetTimestamp();
                var parts = names.Select((n, k) => string.Create(CultureInfo.InvariantCulture, $"{n} {Frames(k)} frames {Volatile.Read(ref _fps[k]):F1} fps"));
                Console.Error.WriteLine($"progress: {string.Join("; ", parts)}");
            }
        });
    }
}
