using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using PoseTrack.Core;
using PoseTrack.Pipeline;

namespace PoseTrack.Benchmark;

/// <summary>One stream of a streams benchmark.</summary>
internal sealed record StreamFigures(string Name, long Frames, double Seconds, double Fps);

/// <summary>
/// <c>posetrack bench --streams N</c>: N copies of the input through one process (one pipeline each, one shared
/// detector and pose model), against one stream alone on the same models. <c>streams_vs_single</c> is the aggregate
/// fps with N streams ÷ the single-stream pipeline's fps; <c>other_cores</c> the cores other processes kept busy while
/// the N streams ran (0 = a quiet machine).
/// </summary>
internal sealed record StreamsReport(
    MachineFigures Machine, string Input, int Streams, long FramesPerStream,
    [property: JsonPropertyName("single_fps")] double SingleFps,
    [property: JsonPropertyName("aggregate_fps")] double AggregateFps,
    [property: JsonPropertyName("per_stream")] IReadOnlyList<StreamFigures> PerStream,
    [property: JsonPropertyName("streams_vs_single")] double StreamsVsSingle,
    [property: JsonPropertyName("other_cores")] double OtherCores,
    string Sharing)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>Runs the streams benchmark (see <see cref="StreamsReport"/>).</summary>
internal static class StreamsBenchmark
{
    public static async Task<StreamsReport> RunAsync(BenchmarkOptions options, int streams, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (streams < 1) throw new PoseTrackException($"Streams must be at least 1 (got {streams})");
        var log = options.Log;
        bool tempOut = options.OutputDirectory is null;
        var outDir = options.OutputDirectory ?? Path.Combine(Path.GetTempPath(), $"posetrack-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(outDir);
        try
        {
            long frames;
            using (var probe = PoseBenchmark.OpenInput(options.Input))
            {
                frames = options.Frames ?? probe.Info.FrameCount ?? throw new PoseTrackException($"the length of {options.Input} is unknown: give --frames N");
                if (!options.Loop && probe.Info.FrameCount is { } count) frames = Math.Min(frames, count);
            }
            SharedModels.ReserveThreads(streams);
            using var estimator = PoseEstimator.Create(options.Estimator);
            var detector = SharedModels.Serialise(estimator.Detector);
            var pose = SharedModels.Serialise(estimator.PoseModel);

            // Warm (JIT, ONNX Runtime's first runs), then one stream alone, then N side by side: each on the same models.
            long warm = Math.Min(frames, options.WarmUpFrames);
            if (warm > 0)
            {
                log?.Report($"warm-up: {warm} frames");
                await RunStreamsAsync(options, estimator, detector, pose, 1, warm, outDir, "warmup", ct).ConfigureAwait(false);
            }
            log?.Report($"one stream: {frames} frames");
            var (single, _, _) = await RunStreamsAsync(options, estimator, detector, pose, 1, frames, outDir, "single", ct).ConfigureAwait(false);
            log?.Report($"{streams} streams: {frames} frames each");
            var (aggregate, perStream, others) = await RunStreamsAsync(options, estimator, detector, pose, streams, frames, outDir, "stream", ct).ConfigureAwait(false);
            return new StreamsReport(PoseBenchmark.Machine(estimator.Provider), options.Input, streams, frames, single, aggregate, perStream,
                single > 0 ? aggregate / single : double.NaN, others,
                "one detector and one pose model for all streams, each call serialised (a detect call of one stream overlaps a pose call of another)");
        }
        finally
        {
            if (tempOut)
            {
                try { Directory.Delete(outDir, recursive: true); }
                catch (IOException) { }
            }
        }
    }

    /// <summary>Runs <paramref name="n"/> pipelines side by side; the aggregate fps is all their frames over the wall time from the start to the last frame.</summary>
    private static async Task<(double Aggregate, List<StreamFigures> PerStream, double OtherCores)> RunStreamsAsync(BenchmarkOptions o, PoseEstimator estimator,
        PoseTrack.Detection.IPersonDetector detector, PoseTrack.Pose.IPoseModel pose, int n, long frames, string outDir, string name, CancellationToken ct)
    {
        var load = LoadMeter.Start();
        long start = Stopwatch.GetTimestamp();
        var runs = Enumerable.Range(0, n).Select(i => Task.Run(async () =>
        {
            using var source = PoseBenchmark.OpenRun(o, frames);
            var sinks = PoseBenchmark.OpenSinks(outDir, n == 1 ? name : $"{name}{i + 1}", source.Info, estimator);
            try
            {
                var pipeline = new PosePipeline(detector, pose, null, o.Pipeline with { MaxFrames = frames });
                var summary = await pipeline.RunAsync(source, sinks, null, ct, ct).ConfigureAwait(false);
                if (summary.SourceProblem is not null) throw new PoseTrackException($"input {o.Input}: {summary.SourceProblem}");
                return new StreamFigures($"{name}{i + 1}", summary.Frames, summary.Elapsed.TotalSeconds,
                    summary.Elapsed.TotalSeconds > 0 ? summary.Frames / summary.Elapsed.TotalSeconds : 0);
            }
            finally
            {
                foreach (var s in sinks) s.Dispose();
            }
        }, ct)).ToArray();
        var perStream = (await Task.WhenAll(runs).ConfigureAwait(false)).ToList();
        double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return (wall > 0 ? perStream.Sum(s => s.Frames) / wall : 0, perStream, load.OtherCores());
    }
}
