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

/// <summary>How model sessions are created.</summary>
/// <param name="Device">Execution provider choice.</param>
/// <param name="IntraOpThreads">Threads inside one operator; 0 = ONNX Runtime's default (one per core).</param>
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
    /// <summary>Whether idle intra-op threads spin waiting for work; null = ONNX Runtime's default (spin).</summary>
    public bool? AllowSpinning { get; init; }

    /// <summary>
    /// Pose runs of one frame's crops that go side by side (each on its own crops, each with the pose session's intra-op
    /// threads); null = as many as the cores hold: cores / pose intra-op threads (so 1 with ONNX Runtime's default of one
    /// thread per core).
    /// </summary>
    public int? PoseParallelRuns { get; init; }

    /// <summary>The pose runs side by side that <see cref="PoseParallelRuns"/> asks for.</summary>
    internal int PoseRunsSideBySide()
    {
        if (PoseParallelRuns is { } n) return Math.Max(1, n);
        int threads = ForPose().IntraOpThreads;
        return threads <= 0 ? 1 : Math.Max(1, Environment.ProcessorCount / threads);
    }

    /// <summary>These options with the detector's own thread count as <see cref="IntraOpThreads"/>.</summary>
    internal InferenceOptions ForDetector() => this with { IntraOpThreads = DetectorIntraOpThreads ?? IntraOpThreads };
    /// <summary>These options with the pose model's own thread count as <see cref="IntraOpThreads"/>.</summary>
    internal InferenceOptions ForPose() => this with { IntraOpThreads = PoseIntraOpThreads ?? IntraOpThreads };

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
