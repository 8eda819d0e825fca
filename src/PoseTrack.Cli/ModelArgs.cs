using System.CommandLine;
using Microsoft.Extensions.Logging;
using PoseTrack.Core;
using PoseTrack.Detection;
using PoseTrack.Inference;
using PoseTrack.Pose;

namespace PoseTrack.Cli;

/// <summary>The options every command that runs the models shares: models folder, models, device, threads, thresholds.</summary>
internal sealed class ModelArgs
{
    public Option<string?> Models { get; } = new("--models") { Description = "Folder with models.json and the model files, used alone (default: the models shipped beside the binary, then those installed with 'posetrack models install' in $XDG_DATA_HOME/posetrack/models or ~/.local/share/posetrack/models; a shipped model wins a name clash)" };
    public Option<string?> Detector { get; } = new("--detector") { Description = "Person detector: rtmdet-nano (alias rtmdet), yolox-nano (alias yolox), or a path to an .onnx file" };
    public Option<string?> PoseModel { get; } = new("--pose-model") { Description = "Pose model: fast (movenet-lightning, default), accurate (movenet-thunder), a name from models.json, or a path to an .onnx file (heatmap, SimCC or MoveNet outputs)" };
    public Option<ExecutionDevice> Device { get; } = Choices.Of("--device", "Execution provider: auto, cpu, cuda, tensorrt", () => new InferenceOptions().Device,
        [("auto", ExecutionDevice.Auto), ("cpu", ExecutionDevice.Cpu), ("cuda", ExecutionDevice.Cuda), ("tensorrt", ExecutionDevice.TensorRt)], [("gpu", ExecutionDevice.Cuda), ("trt", ExecutionDevice.TensorRt)]);
    public Option<int> GpuId { get; } = new("--gpu-id") { Description = "GPU index for --device cuda/tensorrt/auto", DefaultValueFactory = _ => new InferenceOptions().GpuDeviceId };
    public Option<long?> GpuMemLimit { get; } = new("--gpu-mem-limit") { Description = "Most GPU memory in MiB each model's CUDA arena may hold (also TensorRT's workspace); default: no limit" };
    public Option<GpuArenaExtend> GpuArena { get; } = Choices.Of("--gpu-arena", "How the CUDA memory arena grows: power-of-two (default) or exact", () => new InferenceOptions().GpuArenaExtend,
        [("power-of-two", GpuArenaExtend.NextPowerOfTwo), ("exact", GpuArenaExtend.SameAsRequested)]);
    public Option<bool> TrtFp16 { get; } = new("--trt-fp16") { Description = "TensorRT: build FP16 engines (faster on tensor-core GPUs; keypoints move by a little)" };
    public Option<string?> TrtCache { get; } = new("--trt-cache") { Description = "TensorRT engine cache folder (default: $XDG_CACHE_HOME/posetrack/tensorrt); only a model's first run on a GPU builds its engine" };
    public Option<int> Threads { get; } = new("--threads") { Description = "ONNX Runtime intra-op threads per model (0 = automatic: detector 1 per 4 cores, pose 1 with a frame's crops run side by side, no spinning)", DefaultValueFactory = _ => new InferenceOptions().IntraOpThreads };
    public Option<float> DetThreshold { get; } = new("--det-threshold") { Description = "Detector score threshold", DefaultValueFactory = _ => new DetectorOptions().ScoreThreshold };
    public Option<Preset> Preset { get; } = Presets.CreateOption();
    public Option<string?> DetSize { get; } = new("--det-size") { Description = "Detector input size: N (square) or WxH, multiples of 32 (default: the model's own, 320 for rtmdet-nano); larger finds smaller people, at a cost growing with the area; only for detectors whose graph takes any size (rtmdet-nano)" };
    public Option<string?> DetTiles { get; } = new("--det-tiles") { Description = "Also detect in RxC overlapping tiles of the frame (e.g. 2x2), merged with the whole-frame boxes: finds distant people; costs one detector run per tile" };
    public Option<float> DetTileOverlap { get; } = new("--det-tile-overlap") { Description = "Overlap of neighbouring tiles, as a fraction of a tile (0..0.5)", DefaultValueFactory = _ => new DetectorOptions().TileOverlap };
    public Option<float> MinBox { get; } = new("--min-box") { Description = "Drop detections narrower or shorter than this many pixels", DefaultValueFactory = _ => new DetectorOptions().MinBoxSize };
    public Option<bool> Flip { get; } = new("--flip") { Description = "Flip test: also run the mirrored crop and average (about 2x pose time)" };
    public Option<bool> Dark { get; } = new("--dark") { Description = "DARK sub-pixel refinement of heatmap peaks" };
    public Option<float> PoseNms { get; } = new("--pose-nms") { Description = "Pose NMS: of two poses with OKS above this, drop the weaker (1 = off)", DefaultValueFactory = _ => new PoseOptions().NmsThreshold };
    public Option<float> Padding { get; } = new("--pose-padding") { Description = "Crop enlargement around each person box before the pose model", DefaultValueFactory = _ => new PoseOptions().Padding };
    public Option<MoveNetCentrePrior> CentrePrior { get; } = Choices.Of("--centre-prior", "MoveNet crops with several people: model (MoveNet's own choice), box (person centre nearest the detector box's) or joints-in-box (each joint's heatmap peak near the box, no centre); box and joints-in-box need the heads, which the shipped MoveNet models have (models import --movenet-heads for your own)", () => new PoseOptions().CentrePrior,
        [("model", MoveNetCentrePrior.Model), ("box", MoveNetCentrePrior.Box), ("joints-in-box", MoveNetCentrePrior.JointsInBox)]);
    public Option<PoseBatching> Batching { get; } = Choices.Of("--pose-batching", "auto (one batched run per frame when possible) or loop (one run per crop)", () => new PoseOptions().Batching,
        [("auto", PoseBatching.Auto), ("loop", PoseBatching.Loop)]);

    public ModelArgs() => Limits.AtMost(Threads, Limits.Cores, Limits.CoresWhy);

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Models, Detector, PoseModel, Device, GpuId, GpuMemLimit, GpuArena, TrtFp16, TrtCache, Threads, Preset, DetThreshold, DetSize, DetTiles, DetTileOverlap, MinBox, Flip, Dark, PoseNms, Padding, Batching, CentrePrior })
            command.Options.Add(o);
    }

    public PoseEstimatorOptions Build(ParseResult r, ILoggerFactory loggers)
    {
        var device = r.GetValue(Device);
        int gpuId = r.GetValue(GpuId);
        if (gpuId < 0) throw new PoseTrackException($"--gpu-id must be 0 or more (got {gpuId})");
        long? memLimit = r.GetValue(GpuMemLimit);
        if (memLimit is < 1 or > 1L << 30) throw new PoseTrackException($"--gpu-mem-limit must be within 1..{1L << 30} MiB (got {memLimit})");
        int threads = r.GetValue(Threads);
        if (threads < 0) throw new PoseTrackException($"--threads must be 0 or more (got {threads})");
        float thr = r.GetValue(DetThreshold);
        if (thr is < 0 or > 1 || float.IsNaN(thr)) throw new PoseTrackException($"--det-threshold must be within 0..1 (got {thr})");
        float minBox = r.GetValue(MinBox);
        if (minBox < 0 || float.IsNaN(minBox)) throw new PoseTrackException($"--min-box must be 0 or more (got {minBox})");
        float nms = r.GetValue(PoseNms);
        if (nms is < 0 or > 1 || float.IsNaN(nms)) throw new PoseTrackException($"--pose-nms must be within 0..1 (got {nms})");
        float padding = r.GetValue(Padding);
        if (padding is < 0.5f or > 3f || float.IsNaN(padding)) throw new PoseTrackException($"--pose-padding must be within 0.5..3 (got {padding})");
        return new PoseEstimatorOptions
        {
            ModelsDirectory = r.GetValue(Models),
            Detector = NormaliseDetector(r.GetValue(Detector)),
            PoseModel = r.GetValue(PoseModel),
            Detection = BuildDetection(r, thr, minBox),
            Pose = new PoseOptions(Flip: r.GetValue(Flip), Dark: r.GetValue(Dark), Batching: r.GetValue(Batching), NmsThreshold: nms, Padding: padding, CentrePrior: r.GetValue(CentrePrior)),
            Inference = new InferenceOptions(device, threads, GpuDeviceId: gpuId)
            {
                GpuMemoryLimitMb = memLimit,
                GpuArenaExtend = r.GetValue(GpuArena),
                TensorRtFp16 = r.GetValue(TrtFp16),
                TensorRtCacheDirectory = r.GetValue(TrtCache),
            },
            LoggerFactory = loggers,
        };
    }

    private DetectorOptions BuildDetection(ParseResult r, float threshold, float minBox)
    {
        var preset = Presets.Of(r.GetValue(Preset));
        threshold = Presets.Pick(r, DetThreshold, preset.DetectorThreshold);
        var (w, h) = ParsePair(r.GetValue(DetSize), "--det-size", "N or WxH, e.g. 640 or 640x384", square: true) ?? (preset.DetectorSize, preset.DetectorSize);
        if (w != 0 && (w % 32 != 0 || h % 32 != 0 || w < 32 || h < 32 || w > 4096 || h > 4096))
            throw new PoseTrackException($"--det-size must be multiples of 32 within 32..4096 (got {w}x{h})");
        var (rows, cols) = ParsePair(r.GetValue(DetTiles), "--det-tiles", "RxC, e.g. 2x2", square: false) ?? (preset.TileRows, preset.TileColumns);
        if (rows is < 1 or > 8 || cols is < 1 or > 8) throw new PoseTrackException($"--det-tiles must be RxC with 1..8 rows and columns (got {rows}x{cols})");
        float overlap = r.GetValue(DetTileOverlap);
        if (!(overlap >= 0 && overlap < 0.5f)) throw new PoseTrackException($"--det-tile-overlap must be at least 0 and below 0.5 (got {overlap})");
        return new DetectorOptions(threshold, minBox) { InputWidth = w, InputHeight = h, TileRows = rows, TileColumns = cols, TileOverlap = overlap };
    }

    // "640" (when square is allowed) or "640x384"; null when the option was not given.
    private static (int A, int B)? ParsePair(string? text, string flag, string form, bool square)
    {
        if (text is null) return null;
        var parts = text.ToLowerInvariant().Split('x');
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        if (parts.Length == 1 && square && int.TryParse(parts[0], System.Globalization.NumberStyles.None, inv, out int n)) return (n, n);
        if (parts.Length == 2 && int.TryParse(parts[0], System.Globalization.NumberStyles.None, inv, out int a)
            && int.TryParse(parts[1], System.Globalization.NumberStyles.None, inv, out int b)) return (a, b);
        throw new PoseTrackException($"{flag} must be {form} (got '{text}')");
    }

    private static string? NormaliseDetector(string? d) => d?.ToLowerInvariant() switch
    {
        "rtmdet" => "rtmdet-nano",
        "yolox" => "yolox-nano",
        _ => d,
    };
}
