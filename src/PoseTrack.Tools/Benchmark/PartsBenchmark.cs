using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Pose;
using PoseTrack.Rendering;
using PoseTrack.Sinks;
using PoseTrack.Sources;

namespace PoseTrack.Benchmark;

/// <summary>
/// Each part of the pipeline's work measured alone, in processor time per frame (<see cref="CpuClock"/>), on the input:
/// decode, detector pre-processing, detector, pose crop warps, pose model, tracking, render, video encode, JSON lines.
/// Their sum is what one frame costs the machine; with every core busy it can do <c>cores × 1000 / sum</c> frames a
/// second: the full bound (<see cref="PartsFigures.FullBoundFps"/>). Beside them, for the choice of default: decoding
/// with an ffmpeg child instead of OpenCV, and encoding with the other writers (OpenCV's mp4v, ffmpeg's libx264).
/// </summary>
internal static class PartsBenchmark
{
    // Frames decoded and held before the per-frame parts run on them, so the decoder's own threads have finished the
    // chunk before the other parts are timed and none of decoding's time is counted against them.
    private const int ChunkFrames = 8;

    public const string Decode = "decode", DetectorPre = "detector pre-processing", Detector = "detector",
        CropWarps = "pose crop warps", PoseModel = "pose model", Tracking = "tracking", Render = "render",
        Encode = "video encode", Json = "json lines", DecodeFfmpeg = "decode, ffmpeg child (alternative: --decoder ffmpeg)",
        DecodeOpenCv = "decode, OpenCV (alternative: --decoder opencv)",
        EncodeOpenCv = "video encode, OpenCV mp4v (--codec opencv)", EncodeH264 = "video encode, ffmpeg libx264 child (--codec h264)";

    /// <summary>The default writer of the bench's (and the CLI's) .mp4: ffmpeg's mpeg4 when ffmpeg is installed, else OpenCV's.</summary>
    internal static IFrameSink OpenVideo(string path, SourceInfo info) => FfmpegSource.FindOnPath("ffmpeg") is not null
        ? new FfmpegVideoSink(path, info.Width, info.Height, info.Fps, FfmpegVideoCodec.Mpeg4)
        : new VideoFileSink(path, info.Width, info.Height, info.Fps);

    /// <summary>Runs every part over the first <paramref name="frames"/> frames of the input (at most <see cref="BenchmarkOptions.MaxHeldFrames"/>).</summary>
    public static PartsFigures Measure(BenchmarkOptions o, PoseEstimator estimator, long frames, string outDir, CancellationToken ct)
    {
        int n = (int)Math.Max(1, Math.Min(frames, o.MaxHeldFrames));
        var det = estimator.DetectorInternal;
        var pose = estimator.PoseInternal;
        var po = o.Pipeline;
        string[] inPipeline = [Decode, DetectorPre, Detector, CropWarps, PoseModel, Tracking, Render, Encode, Json];
        var cpu = inPipeline.ToDictionary(p => p, _ => 0.0);
        bool haveFfmpeg = FfmpegSource.FindOnPath("ffmpeg") is not null;
        int done = 0;
        // The writers: the default one (a part of the pipeline), then the others for comparison. A child's time is
        // known once it has exited: each is finished in turn and the children's time read after each.
        var writers = new List<(string Name, IFrameSink Sink, bool InPipeline)>();
        var writerMs = new List<double>();

        // The parts run on frames read by OpenCV in this process (the same pixels as the default decoder's), so no
        // decoder child's time can be counted against another part; decoding is measured alone below.
        using (var source = PoseBenchmark.OpenInput(o.Input, new FrameSourceOptions { Decoder = VideoDecoder.OpenCv }))
        {
            var info = source.Info;
            var tracker = po.CreateTracker(info.Fps);
            var renderer = new SkeletonRenderer(new SkeletonRendererOptions(MinKeypointScore: po.DrawScoreThreshold));
            int item = 3 * pose.InputWidth * pose.InputHeight;
            var packed = new float[item * 8];
            using var scratch = new Mat();
            var chunk = Enumerable.Range(0, ChunkFrames).Select(_ => new Mat()).ToList();
            var times = new double[ChunkFrames];
            using var json = new JsonLinesSink(Path.Combine(outDir, "parts.jsonl"),
                JsonLinesHeader.For(info, estimator.DetectorName, estimator.PoseModelName, estimator.Skeleton));
            try
            {
                writers.Add((Encode, OpenVideo(Path.Combine(outDir, "parts.mp4"), info), true));
                if (haveFfmpeg)
                {
                    writers.Add((EncodeOpenCv, new VideoFileSink(Path.Combine(outDir, "parts-opencv.mp4"), info.Width, info.Height, info.Fps), false));
                    writers.Add((EncodeH264, new FfmpegVideoSink(Path.Combine(outDir, "parts-h264.mp4"), info.Width, info.Height, info.Fps, FfmpegVideoCodec.H264), false));
                }
                writerMs.AddRange(writers.Select(_ => 0.0));
                while (done < n)
                {
                    int want = Math.Min(ChunkFrames, n - done), got = 0;
                    while (got < want && source.Read(chunk[got], out times[got])) got++;
                    if (got == 0) break;
                    for (int i = 0; i < got; i++)
                    {
                        ct.ThrowIfCancellationRequested();
                        var f = chunk[i];
                        double pre = Time(() => det.Preprocess(f));
                        cpu[DetectorPre] += pre;
                        IReadOnlyList<PersonDetection> boxes = [];
                        cpu[Detector] += Time(() => boxes = det.Detect(f)) - pre;
                        if (packed.Length < boxes.Count * item) packed = new float[boxes.Count * item];
                        double warps = Time(() => pose.PackCrops(f, boxes, packed, scratch));
                        cpu[CropWarps] += warps;
                        Person[] persons = [];
                        cpu[PoseModel] += Time(() => persons = pose.EstimateDistinct(f, boxes)) - warps;
                        IReadOnlyList<Person> tracked = [];
                        double timeMs = times[i];
                        cpu[Tracking] += Time(() => tracked = tracker.Update(persons, timeMs / 1000.0, f));
                        cpu[Render] += Time(() =>
                        {
                            renderer.Draw(f, tracked);
                            if (po.Overlay) renderer.DrawOverlay(f, $"{0.0:F1} fps  {tracked.Count} people");
                        });
                        var result = new FrameResult(done + i, timeMs, f.Cols, f.Rows, tracked);
                        for (int w = 0; w < writers.Count; w++)
                        {
                            var sink = writers[w].Sink;
                            writerMs[w] += Time(() => sink.Write(result, f));
                        }
                        cpu[Json] += Time(() => json.Write(result, null));
                    }
                    done += got;
                }
                if (done == 0) throw new PoseTrackException($"input {o.Input} gave no frames");
                cpu[Json] += Time(json.Complete);
                for (int w = 0; w < writers.Count; w++)
                {
                    // Complete waits for a writer child to exit: its time is in the children's then.
                    double children = CpuClock.ChildrenMs();
                    writerMs[w] += Time(writers[w].Sink.Complete) + CpuClock.ChildrenMs() - children;
                }
                cpu[Encode] = writerMs[0];
            }
            finally
            {
                foreach (var m in chunk) m.Dispose();
                foreach (var w in writers) w.Sink.Dispose();
            }
        }

        // Decoding alone (per frame already): the default decoder (an ffmpeg child where its frames are OpenCV's to the
        // bit), then the other.
        double decodeMs = DecodeAlone(o.Input, new FrameSourceOptions(), done, ct, out bool defaultIsFfmpeg);
        var (otherName, otherDecoder) = defaultIsFfmpeg ? (DecodeOpenCv, VideoDecoder.OpenCv) : (DecodeFfmpeg, VideoDecoder.Ffmpeg);
        double otherMs = haveFfmpeg ? DecodeAlone(o.Input, new FrameSourceOptions { Decoder = otherDecoder }, done, ct, out _) : double.NaN;
        cpu[Decode] = decodeMs * done;
        var parts = inPipeline.Select(p => new PartFigures(p, cpu[p] / done, InPipeline: true)).ToList();
        parts.Add(new PartFigures(otherName, otherMs, InPipeline: false));
        for (int w = 1; w < writers.Count; w++) parts.Add(new PartFigures(writers[w].Name, writerMs[w] / done, InPipeline: false));
        return new PartsFigures(done, Environment.ProcessorCount, CpuClock.Description, parts);
    }

    /// <summary>
    /// Processor time of decoding the first <paramref name="frames"/> frames to BGR as <paramref name="options"/> say:
    /// this process, and the ffmpeg child if one decodes (read from /proc while it runs). Measured from the second
    /// frame on, so that opening (OpenCV's checks of the file, the child's start-up, the first-frame comparison: once
    /// per run, not per frame) is left out for both decoders alike, and up to the one before the last, which the child
    /// is still writing then (after the last it may have exited, and its /proc entry with it).
    /// </summary>
    private static double DecodeAlone(string input, FrameSourceOptions options, int frames, CancellationToken ct, out bool usedFfmpeg)
    {
        using var source = PoseBenchmark.OpenInput(input, options);
        using var frame = new Mat();
        var child = source as FfmpegFileSource;
        usedFfmpeg = child is not null;
        if (!source.Read(frame, out _)) return double.NaN;
        double own0 = CpuClock.OwnMs(), child0 = child is null ? 0 : CpuClock.ProcessMs(child.ProcessId);
        int read = 0;
        while (read < frames - 2 && source.Read(frame, out _))
        {
            ct.ThrowIfCancellationRequested();
            read++;
        }
        double childMs = child is null ? 0 : CpuClock.ProcessMs(child.ProcessId) - child0;
        return read == 0 ? double.NaN : (CpuClock.OwnMs() - own0 + childMs) / read;
    }

    private static double Time(Action action)
    {
        double t0 = CpuClock.OwnMs();
        action();
        return CpuClock.OwnMs() - t0;
    }
}
