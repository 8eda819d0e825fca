using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenCvSharp;
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
    public async IAsyncEnumerable<FrameResult> RunAsync(IFrameSource source, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var results = Channel.CreateBounded<FrameResult>(new BoundedChannelOptions(_options.ChannelCapacity) { SingleReader = true, SingleWriter = true });
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var run = Task.Run(() => RunAsync(source, [new ChannelSink(results.Writer, abort.Token)], null, default, abort.Token));
        try
        {
            await foreach (var result in results.Reader.ReadAllAsync(abort.Token).ConfigureAwait(false))
                yield return result;
            await run.ConfigureAwait(false);   // a fault in a stage surfaces here, after the frames before it
        }
        finally
        {
            // The consumer stopped early (or failed): end the run at once and wait for its stages to finish.
            abort.Cancel();
            try { await run.ConfigureAwait(false); }
            catch (Exception) when (!run.IsCompletedSuccessfully) { /* already thrown above, or an abort we asked for */ }
        }
    }

    /// <summary>Hands each result to the enumerating caller through a bounded channel (a full channel holds the sinks back).</summary>
    private sealed class ChannelSink(ChannelWriter<FrameResult> writer, CancellationToken abort) : IFrameSink
    {
        public bool NeedsImage => false;
        public void Write(FrameResult result, Mat? annotated)
        {
            if (!writer.TryWrite(result)) writer.WriteAsync(result, abort).AsTask().GetAwaiter().GetResult();
        }
        public void Complete() => writer.TryComplete();
        public void Dispose() => writer.TryComplete();
    }

    /// <summary>
    /// Runs the source to its end through every sink. <paramref name="stop"/> stops reading new frames and lets the
    /// frames in flight finish (a graceful stop); <paramref name="abort"/> cancels everything at once. Either way the
    /// sinks are completed, so the video is finalised and the JSON lines are whole. After an abort this may return
    /// while the source is still blocked inside <see cref="IFrameSource.Read"/> (until the device's or stream's
    /// timeout); a caller about to exit should then leave the source undisposed rather than dispose it under that read.
    /// </summary>
    public async Task<PipelineSummary> RunAsync(IFrameSource source, IReadOnlyList<IFrameSink> sinks,
        IProgress<PipelineProgress>? progress = null, CancellationToken stop = default, CancellationToken abort = default)
    {
        var info = source.Info;
        var tracker = _tracker ?? _options.CreateTracker(info.Fps);
        bool dropping = _options.DropFrames == DropFramesMode.On || (_options.DropFrames == DropFramesMode.Auto && info.IsLive);
        bool draw = sinks.Any(s => s.NeedsImage);

        int cap = _options.ChannelCapacity;
        using var pool = new MatPool(cap * 6 + 4);
        long dropped = 0;
        var bounded = new BoundedChannelOptions(cap) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait };
        var toDetect = dropping
            ? Channel.CreateBounded<FramePacket>(new BoundedChannelOptions(cap) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.DropOldest },
                p => { Interlocked.Increment(ref dropped); pool.Return(p.Image); })
            : Channel.CreateBounded<FramePacket>(bounded);
        var toPose = Channel.CreateBounded<FramePacket>(bounded);
        var toTrack = Channel.CreateBounded<FramePacket>(bounded);
        var toRender = Channel.CreateBounded<FramePacket>(bounded);
        var toSinks = Channel.CreateBounded<FramePacket>(bounded);
        var detect = new DetectStage(_detector, _options.DetectEvery);
        var pose = new PoseStage(_pose, tracker.Options.KeypointScoreThreshold);
        var track = new TrackStage(tracker);
        var render = new RenderStage(draw, new SkeletonRenderer(_options.RendererOptions()), _options.Overlay);
        detect.Hook = pose.Hook = track.Hook = render.Hook = _options.StageHook;

        // failed[k] stops component k (0 source, 1-4 stages, 5 sinks): cancelled when a component after k fails. A
        // fault stops everything upstream at once, while the components downstream finish the frames they already
        // hold (the fault reaches them through the channel once it is empty), so no frame processed before the
        // fault is lost.
        var failed = new CancellationTokenSource[6];
        for (int k = 0; k < failed.Length; k++) failed[k] = CancellationTokenSource.CreateLinkedTokenSource(abort);
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(stop, failed[0].Token);
        var started = Stopwatch.GetTimestamp();
        string? sourceProblem = null;
        long framesOut = 0; TimeSpan? firstOut = null;
        var finaliseErrors = new List<Exception>();
        var sourceStats = new StageStats("source");
        // Interruptions of a live source, queued by the source task and written by the sink task in time order.
        var gaps = new System.Collections.Concurrent.ConcurrentQueue<SourceGap>();
        int gapCount = 0;
        var latency = info.IsLive ? new LatencyHistogram() : null;
        void WriteGaps(double untilMs)
        {
            while (gaps.TryPeek(out var g) && g.ToMs <= untilMs && gaps.TryDequeue(out g))
            {
                gapCount++;
                foreach (var sink in sinks) if (sink is IGapSink gs) gs.WriteGap(g);
            }
        }
        var sinkStats = new StageStats("sinks");

        Task Guard(Task t, int k) => t.ContinueWith(x =>
        {
            if (x.IsFaulted) for (int i = 0; i < k; i++) failed[i].Cancel();
            return x;
        }, TaskScheduler.Default).Unwrap();

        var sourceTask = Guard(Task.Factory.StartNew(() =>
        {
            sourceProblem = ReadSource(source, toDetect.Writer, pool, sourceStats, gaps, stopReading.Token, failed[0].Token);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default), 0);
        var stageTasks = new[]
        {
            Guard(Task.Run(() => detect.RunAsync(toDetect.Reader, toPose.Writer, failed[1].Token)), 1),
            Guard(Task.Run(() => pose.RunAsync(toPose.Reader, toTrack.Writer, failed[2].Token)), 2),
            Guard(Task.Run(() => track.RunAsync(toTrack.Reader, toRender.Writer, failed[3].Token)), 3),
            Guard(Task.Run(() => render.RunAsync(toRender.Reader, toSinks.Writer, failed[4].Token)), 4),
        };
        var sinkTask = Guard(Task.Run(async () =>
        {
            bool endedNormally = false, interrupted = false;
            try
            {
                await foreach (var packet in toSinks.Reader.ReadAllAsync(failed[5].Token).ConfigureAwait(false))
                {
                    sinkStats.SampleDepth(toSinks.Reader);
                    long t0 = Stopwatch.GetTimestamp();
                    var result = new FrameResult(packet.Index, packet.TimeMs, packet.Image.Cols, packet.Image.Rows, packet.Persons);
                    if (!gaps.IsEmpty) WriteGaps(packet.TimeMs);
                    foreach (var sink in sinks) sink.Write(result, sink.NeedsImage ? packet.Image : null);
                    pool.Return(packet.Image);
                    latency?.Add(Stopwatch.GetElapsedTime(packet.CapturedAt));
                    sinkStats.Add(Stopwatch.GetTimestamp() - t0);
                    framesOut++;
                    firstOut ??= Stopwatch.GetElapsedTime(started);
                    var secs = Stopwatch.GetElapsedTime(started).TotalSeconds;
                    progress?.Report(new PipelineProgress(framesOut, info.FrameCount, secs > 0 ? framesOut / secs : 0, packet.Persons.Count, Interlocked.Read(ref dropped)));
                }
                // Every stage upstream has finished without a fault or an abort: the run ended normally.
                endedNormally = true;
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                // Cut short by the caller (a stop whose drain ran out of time, a second Ctrl+C): the outputs still end
                // at the last complete frame, so the run's totals are written as for a stop.
                interrupted = true;
                throw;
            }
            finally
            {
                // A gap whose next frame was dropped or never came is still recorded.
                try { WriteGaps(double.PositiveInfinity); }
                catch (Exception e) { finaliseErrors.Add(e); }
                // The closing summary: for every run that did not fail (a stage's or a sink's fault writes none).
                if (endedNormally || interrupted)
                {
                    var totals = new RunTotals(framesOut, Stopwatch.GetElapsedTime(started).TotalSeconds, Interlocked.Read(ref dropped),
                        track.TracksSeen, interrupted || stop.IsCancellationRequested);
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
            }
        }), 5);

        var all = stageTasks.Prepend(sourceTask).Append(sinkTask).ToArray();
        try { await Task.WhenAll(all.Skip(1)).ConfigureAwait(false); }
        catch (Exception) { /* examined below: the first real error wins over the cancellations it caused */ }
        // The stages and sinks end at once on an abort, but the source may be blocked inside a read (a hung camera
        // or stream waits for its timeout): after an abort it is not waited for.
        try { await sourceTask.WaitAsync(abort).ConfigureAwait(false); }
        catch (Exception) { /* as above */ }
        if (sourceTask.IsCompleted) foreach (var f in failed) f.Dispose();

        var errors = all.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions)
            .Where(e => e is not OperationCanceledException and not ChannelClosedException).ToList();
        // An output that could not be finalised fails the run; after another error it is only logged.
        if (errors.Count > 0)
            foreach (var e in finaliseErrors) _logger.LogError("Could not finalise an output: {Message}", e.Message);
        else errors.AddRange(finaliseErrors);
        if (errors.Count > 0)
        {
            var first = errors[0];
            if (first is PoseTrackException) throw first;
            throw new PipelineException($"pipeline stopped: {first.GetType().Name}: {first.Message}", first);
        }
        if (abort.IsCancellationRequested) throw new OperationCanceledException(abort);

        var stages = new[] { sourceStats, detect.Stats, pose.Stats, track.Stats, render.Stats, sinkStats }
            .Select(s => s.ToSummary()).ToList();
        return new PipelineSummary(framesOut, Stopwatch.GetElapsedTime(started), track.TracksSeen, Interlocked.Read(ref dropped),
            stop.IsCancellationRequested, sourceProblem, stages, firstOut)
        {
            Gaps = gapCount,
            Tracking = tracker.Counts,
            LatencyP50 = latency?.Percentile(0.50),
            LatencyP95 = latency?.Percentile(0.95),
        };
    }

    /// <summary>Reads frames into the first channel until the source ends, the run is stopped, or the frame limit.</summary>
    private string? ReadSource(IFrameSource source, ChannelWriter<FramePacket> output, MatPool pool, StageStats stats,
        System.Collections.Concurrent.ConcurrentQueue<SourceGap> gaps, CancellationToken stop, CancellationToken failed)
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
