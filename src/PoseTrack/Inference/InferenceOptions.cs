namespace PoseTrack.Inference;

/// <summary>Which ONNX Runtime execution provider to run the models on.</summary>
public enum ExecutionDevice
{
    /// <summary>The best provider that works: TensorRT, then CUDA, then CPU (one log line says which and why).</summary>
    Auto,
    /// <summary>CPU only.</summary>
    Cpu,
    /// <summary>NVIDIA CUDA; fails clearly when it cannot be used.</summary>
    Cuda,
    /// <summary>NVIDIA TensorRT (with CUDA for unsupported nodes); fails clearly when it cannot be used.</summary>
    TensorRt,
}

/// <summary>How the CUDA provider's memory arena grows when it needs more GPU memory.</summary>
public enum GpuArenaExtend
{
    /// <summary>To the next power of two (ONNX Runtime's default: fewer, larger allocations).</summary>
    NextPowerOfTwo,
    /// <summary>By exactly what is asked for (less memory held, more allocations).</summary>
    SameAsRequested,
}

/// <summary>How model sessions are created.</summary>
/// <remarks>
/// Automatic threads (<see cref="IntraOpThreads"/> = 0): the pipeline runs the detector and the pose model at the same
/// time (on different frames), beside decoding and encoding, so no model may claim every core. The detector gets one
/// intra-op thread per 4 cores (at least 1), the pose model one thread with a frame's crops run side by side
/// (<see cref="PoseParallelRuns"/>), and idle intra-op threads do not spin. On 2 cores (posetrack bench on
/// vtest_10s.mp4) the pipeline ran at 49 fps this way against 30 fps with ONNX Runtime's default of one spinning
/// thread per core in each session.
/// </remarks>
/// <param name="Device">Execution provider choice.</param>
/// <param name="IntraOpThreads">Threads inside one operator of each model; 0 = automatic (see the remarks).</param>
/// <param name="InterOpThreads">Threads across operators; 0 = default.</param>
/// <param name="GpuDeviceId">GPU index for CUDA/TensorRT.</param>
public sealed record InferenceOptions(
    ExecutionDevice Device = ExecutionDevice.Auto,
    int IntraOpThreads = 0,
    int InterOpThreads = 0,
    int GpuDeviceId = 0)
{
    /// <summary>Intra-op threads of the detector session; null = <see cref="IntraOpThreads"/>.</summary>
    public int? DetectorIntraOpThreads { get; init; }
    /// <summary>Intra-op threads of the pose session; null = <see cref="IntraOpThreads"/>.</summary>
    public int? PoseIntraOpThreads { get; init; }
    /// <summary>Whether idle intra-op threads spin waiting for work; null = off with automatic threads, else ONNX Runtime's default (on).</summary>
    public bool? AllowSpinning { get; init; }

    /// <summary>
    /// Most pose runs of one frame's crops that go side by side on the CPU (each run one crop, with the pose session's
    /// intra-op threads; a free worker takes the next crop); null = cores / pose intra-op threads, plus one when that
    /// is 2 or more so a core freed by a finished crop finds the next one ready (1 with one thread per core: one
    /// batched run). GPU providers always take one batched run.
    /// </summary>
    public int? PoseParallelRuns { get; init; }

    /// <summary>Most GPU memory in MiB the CUDA provider's arena may hold per session; null = no limit.</summary>
    public long? GpuMemoryLimitMb { get; init; }
    /// <summary>How the CUDA provider's arena grows.</summary>
    public GpuArenaExtend GpuArenaExtend { get; init; } = GpuArenaExtend.NextPowerOfTwo;
    /// <summary>Let TensorRT build FP16 engines (faster on GPUs with FP16 tensor cores; results move by a little).</summary>
    public bool TensorRtFp16 { get; init; }
    /// <summary>
    /// Folder where TensorRT keeps its built engines and timing cache, so only the first run of a model on a GPU pays the
    /// build; null = $XDG_CACHE_HOME/posetrack/tensorrt (or ~/.cache/posetrack/tensorrt).
    /// </summary>
    public string? TensorRtCacheDirectory { get; init; }
    /// <summary>Largest batch a TensorRT engine of a model with a dynamic batch is built for (the pose stage's batch).</summary>
    public int TensorRtMaxBatch { get; init; } = 16;

    /// <summary>The TensorRT cache folder in use: <see cref="TensorRtCacheDirectory"/> or the per-user default.</summary>
    public string ResolvedTensorRtCacheDirectory()
    {
        if (!string.IsNullOrEmpty(TensorRtCacheDirectory)) return Path.GetFullPath(TensorRtCacheDirectory);
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(cache)) cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "posetrack", "tensorrt");
    }

    /// <summary>The pose runs side by side that <see cref="PoseParallelRuns"/> asks for.</summary>
    internal int PoseRunsSideBySide()
    {
        if (PoseParallelRuns is { } n) return Math.Max(1, n);
        int runs = Environment.ProcessorCount / Math.Max(1, ForPose().IntraOpThreads);
        return runs >= 2 ? runs + 1 : 1;
    }

    /// <summary>These options with the detector's own thread count as <see cref="IntraOpThreads"/> (never 0).</summary>
    internal InferenceOptions ForDetector() => Resolved(DetectorIntraOpThreads, Math.Max(1, Environment.ProcessorCount / 4));
    /// <summary>These options with the pose model's own thread count as <see cref="IntraOpThreads"/> (never 0).</summary>
    internal InferenceOptions ForPose() => Resolved(PoseIntraOpThreads, 1);

    private InferenceOptions Resolved(int? own, int auto)
    {
        bool automatic = own is null && IntraOpThreads <= 0;
        int threads = own is > 0 ? own.Value : IntraOpThreads > 0 ? IntraOpThreads : auto;
        return this with { IntraOpThreads = threads, AllowSpinning = AllowSpinning ?? (automatic ? false : null) };
    }

    /// <summary>Throws <see cref="Core.PoseTrackException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Device)) throw new Core.PoseTrackException($"InferenceOptions.Device is not an execution device (got {Device})");
        if (IntraOpThreads < 0) throw new Core.PoseTrackException($"InferenceOptions.IntraOpThreads must be 0 or more (got {IntraOpThreads})");
        if (InterOpThreads < 0) throw new Core.PoseTrackException($"InferenceOptions.InterOpThreads must be 0 or more (got {InterOpThreads})");
        if (GpuDeviceId < 0) throw new Core.PoseTrackException($"InferenceOptions.GpuDeviceId must be 0 or more (got {GpuDeviceId})");
        if (DetectorIntraOpThreads is < 0) throw new Core.PoseTrackException($"InferenceOptions.DetectorIntraOpThreads must be 0 or more (got {DetectorIntraOpThreads})");
        if (PoseIntraOpThreads is < 0) throw new Core.PoseTrackException($"InferenceOptions.PoseIntraOpThreads must be 0 or more (got {PoseIntraOpThreads})");
        if (PoseParallelRuns is < 0) throw new Core.PoseTrackException($"InferenceOptions.PoseParallelRuns must be 0 or more (got {PoseParallelRuns})");
    }

    /// <summary>Parses "auto|cpu|cuda|tensorrt" (case-insensitive); null when unknown.</summary>
    public static ExecutionDevice? ParseDevice(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => ExecutionDevice.Auto,
        "cpu" => ExecutionDevice.Cpu,
        "cuda" or "gpu" => ExecutionDevice.Cuda,
        "tensorrt" or "trt" => ExecutionDevice.TensorRt,
        _ => null,
    };
}
