using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PoseTrack.Core;
using PoseTrack.Detection;
using PoseTrack.Pose;
using PoseTrack.Rendering;
using PoseTrack.Sinks;
using PoseTrack.Sources;
using PoseTrack.Tracking;

namespace PoseTrack.Pipeline;

/// <summary>
/// The streaming pipeline: source → detect → pose → track → render → sinks, each stage on its own task, joined by
/// bounded channels so a slow stage holds back the ones before it (or, for live sources, old frames are dropped).
/// Frame order is kept; completion and errors flow downstream; the sinks are completed however the run ends.
/// </summary>
public sealed class PosePipeline
{
    private readonly IPersonDetector _detector;
    private readonly IPoseModel _pose;
    private readonly ITracker? _tracker;
    private readonly PipelineOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates a pipeline over an estimator's detector and pose model (which it uses but does not own).</summary>
    public PosePipeline(PoseEstimator estimator, PipelineOptions? options = null, ILogger? logger = null)
        : this(estimator.Detector, estimator.PoseModel, null, options, logger) { }

    /// <summary>
    /// Creates a pipeline over any detector, pose model and tracker (used, not owned). A tracker given here keeps its
    /// state across runs and its own options (<see cref="PipelineOptions.TrackerOptions"/> are not used); null makes
    /// a new one per run from the options, its max age set from the source's frame rate.
    /// </summary>
    public PosePipeline(IPersonDetector detector, IPoseModel pose, ITracker? tracker, PipelineOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(pose);
        _detector = detector;
        _pose = pose;
        _tracker = tracker;
        _options = options ?? new PipelineOptions();
        _options.Validate();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Runs the source through the pipeline and yields each frame's result, in order, as it leaves the tracker: the
    /// way to consume results in your own code (<c>await foreach (var r in pipeline.RunAsync(source, ct))</c>). The
    /// source is read as fast as results are taken (bounded channels hold back the stages). Stopping the loop early
    /// (break, an exception, <paramref name="ct"/>) stops the run; a fault in a stage is thrown from the loop after the
    /// results before it. The source is used, not disposed.
    /// </summary>
    public async IAsyncEnumerable<FrameResult> RunAsync(IFrameSource source, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var run = NewRun(source);
        await foreach (var packet in RunFramesAsync(source, run, draw: false, stop: default, abort: ct).ConfigureAwait(false))
        {
            var result = ToResult(packet);
            run.Pool.Return(packet.Image);
            yield return result;
        }
    }

    /// <summary>
    /// Runs the source to its end through every sink: the sinks consume the same stream of frames that
    /// <see cref="RunAsync(IFrameSource, CancellationToken)"/> yields (with the picture, drawn on when a sink wants it).
    /// <paramref name="stop"/> stops reading new frames and lets the frames in flight finish (a graceful stop);
    /// <paramref name="abort"/> cancels everything at once. Either way the sinks are completed, so the video is
    /// finalised and the JSON lines are whole. After an abort this may return while the source is still blocked inside
    /// <see cref="IFrameSource.Read"/> (until the device's or stream's timeout); a caller about to exit should then leave
    /// the source undisposed rather than dispose it under that read.
    /// </summary>
    public async Task<PipelineSummary> RunAsync(IFrameSource source, IReadOnlyList<IFrameSink> sinks,
        IProgress<PipelineProgress>? progress = null, CancellationToken stop = default, CancellationToken abort = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sinks);
        var info = source.Info;
        var run = NewRun(source);
        long framesOut = 0;
        TimeSpan? firstOut = null;
        int gapCount = 0;
        var latency = info.IsLive ? new LatencyHistogram() : null;
        var finaliseErrors = new List<Exception>();
        void WriteGaps(double untilMs)
        {
            while (run.Gaps.TryPeek(out var g) && g.ToMs <= untilMs && run.Gaps.TryDequeue(out g))
            {
                gapCount++;
                foreach (var sink in sinks) if (sink is IGapSink gs) gs.WriteGap(g);
            }
        }

        bool endedNormally = false;
        Exception? error = null;
        try
        {
            await foreach (var packet in RunFramesAsync(source, run, sinks.Any(s => s.NeedsImage), stop, abort).ConfigureAwait(false))
            {
                long t0 = Stopwatch.GetTimestamp();
                var result = ToResult(packet);
                // Interruptions of a live source are written in time order, before the first frame after them.
                if (!run.Gaps.IsEmpty) WriteGaps(packet.TimeMs);
                foreach (var sink in sinks) sink.Write(result, sink.NeedsImage ? packet.Image : null);
                run.Pool.Return(packet.Image);
                var age = Stopwatch.GetElapsedTime(packet.CapturedAt);   // capture to written
                latency?.Add(age);
                run.SinkStats.Add(Stopwatch.GetTimestamp() - t0);
                framesOut++;
                firstOut ??= Stopwatch.GetElapsedTime(run.Started);
                var secs = Stopwatch.GetElapsedTime(run.Started).TotalSeconds;
                progress?.Report(new PipelineProgress(framesOut, info.FrameCount, secs > 0 ? framesOut / secs : 0, packet.Persons.Count, run.Dropped)
                {
                    Latency = age,
                    Gaps = gapCount,
                    Stages = run.Stages.Select(s => s.ToSummary()).ToArray(),
                });
            }
            // Every stage has finished without a fault or an abort: the run ended normally.
            endedNormally = true;
        }
        catch (Exception e) { error = e; }

        // Cut short by the caller (a stop whose drain ran out of time, a second Ctrl+C): the outputs still end at the
        // last complete frame, so the run's totals are written as for a stop.
        bool interrupted = error is OperationCanceledException && abort.IsCancellationRequested;
        // A gap whose next frame was dropped or never came is still recorded.
        try { WriteGaps(double.PositiveInfinity); }
        catch (Exception e) { finaliseErrors.Add(e); }
        // The closing summary: for every run that did not fail (a stage's or a sink's fault writes none).
        if (endedNormally || interrupted)
        {
            var totals = new RunTotals(framesOut, Stopwatch.GetElapsedTime(run.Started).TotalSeconds, run.Dropped,
                run.TracksSeen, interrupted || stop.IsCancellationRequested);
            foreach (var sink in sinks)
            {
                try { if (sink is ISummarySink s) s.WriteSummary(totals); }
                catch (Exception e) { finaliseErrors.Add(e); }
            }
        }
        // Finalise every sink whatever happened upstream: a half-written video must still play.
        foreach (var sink in sinks)
        {
            try { sink.Complete(); }
            catch (Exception e) { finaliseErrors.Add(e); }
        }

        // An output that could not be finalised fails the run; after another error it is only logged.
        if (error is not null && !interrupted)
        {
            foreach (var e in finaliseErrors) _logger.LogError("Could not finalise an output: {Message}", e.Message);
            throw Failure(error);
        }
        if (finaliseErrors.Count > 0) throw Failure(finaliseErrors[0]);
        if (interrupted) throw error!;

        return new PipelineSummary(framesOut, Stopwatch.GetElapsedTime(run.Started), run.TracksSeen, run.Dropped,
            stop.IsCancellationRequested, run.SourceProblem, run.Stages.Select(s => s.ToSummary()).ToList(), firstOut)
        {
            Gaps = gapCount,
            Tracking = run.Tracker.Counts,
            LatencyP50 = latency?.Percentile(0.50),
            LatencyP95 = latency?.Percentile(0.95),
        };
    }

    private static FrameResult ToResult(FramePacket packet) =>
        new(packet.Index, packet.TimeMs, packet.Image.Cols, packet.Image.Rows, packet.Persons);

    /// <summary>A bad input keeps its own message; anything else is named as the pipeline's failure.</summary>
    private static Exception Failure(Exception e) => e is PoseTrackException or PipelineException
        ? e
        : new PipelineException($"pipeline stopped: {e.GetType().Name}: {e.Message}", e);

    private Run NewRun(IFrameSource source) =>
        new(_tracker ?? _options.CreateTracker(source.Info.Fps), _options.ChannelCapacity * 6 + 4);

    /// <summary>The state one run shares between its stages and the consumer of its frames: counters, not results.</summary>
    private sealed class Run(ITracker tracker, int poolCapacity)
    {
        public ITracker Tracker { get; } = tracker;
        public MatPool Pool { get; } = new(poolCapacity);
        public long Started { get; } = Stopwatch.GetTimestamp();
        /// <summary>Interruptions of a live source, queued by the source task and written by the consumer in time order.</summary>
        public ConcurrentQueue<SourceGap> Gaps { get; } = new();
        public StageStats SourceStats { get; } = new("source");
        public StageStats SinkStats { get; } = new("sinks");
        /// <summary>Every part's busy time, in pipeline order: the source, the four stages, the consumer.</summary>
        public IReadOnlyList<StageStats> Stages { get; set; } = [];
        public string? SourceProblem { get; set; }
        public Func<int> TracksSeenNow { get; set; } = () => 0;
        public int TracksSeen => TracksSeenNow();
        private long _dropped;
        public long Dropped => Interlocked.Read(ref _dropped);
        public void CountDropped() => Interlocked.Increment(ref _dropped);
    }

    /// <summary>
    /// The pipeline itself: starts the source and the four stages on their own tasks, joined by bounded channels, and
    /// yields the frames leaving the last stage in order. The consumer returns each frame's image to the run's pool.
    /// A fault stops everything upstream of it at once, while the parts downstream finish the frames they already hold,
    /// so no frame processed before the fault is lost; the fault is thrown after them. The consumer ending early (a
    /// break, its own fault) stops everything.
    /// </summary>
    private async IAsyncEnumerable<FramePacket> RunFramesAsync(IFrameSource source, Run run, bool draw,
        CancellationToken stop, [EnumeratorCancellation] CancellationToken abort)
    {
        var info = source.Info;
        bool dropping = _options.DropFrames == DropFramesMode.On || (_options.DropFrames == DropFramesMode.Auto && info.IsLive);
        int cap = _options.ChannelCapacity;
        var pool = run.Pool;
        var bounded = new BoundedChannelOptions(cap) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait };
        var toDetect = dropping
            ? Channel.CreateBounded<FramePacket>(new BoundedChannelOptions(cap) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.DropOldest },
                p => { run.CountDropped(); pool.Return(p.Image); })
            : Channel.CreateBounded<FramePacket>(bounded);
        var toPose = Channel.CreateBounded<FramePacket>(bounded);
        var toTrack = Channel.CreateBounded<FramePacket>(bounded);
        var toRender = Channel.CreateBounded<FramePacket>(bounded);
        var toConsumer = Channel.CreateBounded<FramePacket>(bounded);
        var detect = new DetectStage(_detector, _options.DetectEvery);
        var pose = new PoseStage(_pose, run.Tracker.Options.KeypointScoreThreshold);
        var track = new TrackStage(run.Tracker);
        var render = new RenderStage(draw, new SkeletonRenderer(_options.RendererOptions()), _options.Overlay);
        detect.Hook = pose.Hook = track.Hook = render.Hook = _options.StageHook;
        run.Stages = [run.SourceStats, detect.Stats, pose.Stats, track.Stats, render.Stats, run.SinkStats];
        run.TracksSeenNow = () => track.TracksSeen;

        // failed[k] stops part k (0 the source, 1-4 the stages): cancelled when a part after k fails, or for all of
        // them when the consumer stops early.
        var failed = new CancellationTokenSource[5];
        for (int k = 0; k < failed.Length; k++) failed[k] = CancellationTokenSource.CreateLinkedTokenSource(abort);
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(stop, failed[0].Token);
        Task Guard(Task t, int k) => t.ContinueWith(x =>
        {
            if (x.IsFaulted) for (int i = 0; i < k; i++) failed[i].Cancel();
            return x;
        }, TaskScheduler.Default).Unwrap();

        var sourceTask = Guard(Task.Factory.StartNew(() =>
        {
            run.SourceProblem = ReadSource(source, toDetect.Writer, pool, run.SourceStats, run.Gaps, stopReading.Token, failed[0].Token);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default), 0);
        var stageTasks = new[]
        {
            Guard(Task.Run(() => detect.RunAsync(toDetect.Reader, toPose.Writer, failed[1].Token)), 1),
            Guard(Task.Run(() => pose.RunAsync(toPose.Reader, toTrack.Writer, failed[2].Token)), 2),
            Guard(Task.Run(() => track.RunAsync(toTrack.Reader, toRender.Writer, failed[3].Token)), 3),
            Guard(Task.Run(() => render.RunAsync(toRender.Reader, toConsumer.Writer, failed[4].Token)), 4),
        };
        var output = toConsumer.Reader;
        bool consumedAll = false;
        try
        {
            while (true)
            {
                FramePacket? packet;
                try
                {
                    if (!output.TryRead(out packet))
                    {
                        if (!await output.WaitToReadAsync(abort).ConfigureAwait(false)) break;
                        continue;
                    }
                }
                // The last stage ended with a fault (examined below) or the run was aborted.
                catch (Exception) { break; }
                run.SinkStats.SampleDepth(output);
                yield return packet;
            }
            consumedAll = true;
            try { await Task.WhenAll(stageTasks).ConfigureAwait(false); }
            catch (Exception) { /* examined below: the first real error wins over the cancellations it caused */ }
            var errors = stageTasks.Prepend(sourceTask).Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions)
                .Where(e => e is not OperationCanceledException and not ChannelClosedException).ToList();
            if (errors.Count > 0) throw Failure(errors[0]);
            abort.ThrowIfCancellationRequested();
        }
        finally
        {
            // The consumer stopped early (a break, its own fault): end the run at once.
            if (!consumedAll) foreach (var f in failed) f.Cancel();
            try { await Task.WhenAll(stageTasks).ConfigureAwait(false); }
            catch (Exception) { /* thrown above, or cancellations we caused */ }
            // The stages end at once on an abort, but the source may be blocked inside a read (a hung camera or stream
            // waits for its timeout): after an abort or an early end it is not waited for.
            try { await sourceTask.WaitAsync(abort).ConfigureAwait(false); }
            catch (Exception) { /* as above */ }
            if (sourceTask.IsCompleted) foreach (var f in failed) f.Dispose();
            pool.Dispose();   // the idle buffers; a frame still inside a blocked read is left to the collector
        }
    }

    /// <summary>Reads frames into the first channel until the source ends, the run is stopped, or the frame limit.</summary>
    private string? ReadSource(IFrameSource source, ChannelWriter<FramePacket> output, MatPool pool, StageStats stats,
        ConcurrentQueue<SourceGap> gaps, CancellationToken stop, CancellationToken failed)
    {
        try
        {
            // Frames keep their index in the source (with --start as in a full run; frames a live source drops leave
            // gaps), so every output lines up with the video and its ground truth.
            long index = 0, taken = 0;
            double startMs = _options.StartSeconds * 1000.0;
            // Files jump close to the start; the loop below reads the last stretch (and everything, for other sources).
            if (startMs > 0 && source is ISeekableSource seekable && seekable.TrySeekBefore(startMs)) index = seekable.NextFrameIndex;
            while (!stop.IsCancellationRequested)
            {
                if (_options.MaxFrames is { } max && taken >= max) break;
                var mat = pool.Rent();
                long t0 = Stopwatch.GetTimestamp();
                if (!source.Read(mat, out var timeMs)) { pool.Return(mat); break; }
                long arrived = Stopwatch.GetTimestamp();
                if ((source as IReportsGaps)?.TakeGap() is { } gap) gaps.Enqueue(gap);
                if (timeMs < startMs) { pool.Return(mat); index++; continue; }
                stats.Add(Stopwatch.GetTimestamp() - t0);
                taken++;
                var packet = new FramePacket { Index = index++, TimeMs = timeMs, Image = mat, CapturedAt = arrived };
                // File sources wait here when the pipeline is behind; live sources drop the oldest frame instead.
                if (!output.TryWrite(packet))
                {
                    try { output.WriteAsync(packet, failed).AsTask().GetAwaiter().GetResult(); }
                    catch { pool.Return(mat); throw; }
                }
            }
            output.TryComplete();
            return (source as IReportsEarlyEnd)?.EarlyEnd;
        }
        catch (Exception e)
        {
            output.TryComplete(e);
            throw;
        }
    }
}

/// <summary>An unexpected failure inside the pipeline (not a bad input): the message names the stage's error.</summary>
public sealed class PipelineException(string message, Exception inner) : Exception(message, inner);
