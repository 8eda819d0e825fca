using PoseTrack.Core;
using PoseTrack.Pipeline;

namespace PoseTrack.Benchmark;

/// <summary>Parts of <see cref="PoseBenchmark"/> to run.</summary>
[Flags]
public enum BenchmarkSections
{
    /// <summary>The real <see cref="PosePipeline"/> (annotated video + JSON lines), time to first frame, memory.</summary>
    Pipeline = 1,
    /// <summary>Model-only figures over frames held in memory: detector and pose timings, the model bound.</summary>
    Models = 2,
    /// <summary>The one-thread decode → detect → pose → track → draw → encode loop.</summary>
    Sequential = 4,
    /// <summary>Each part of the work alone in processor time per frame (decode, pre-processing, models, tracking,
    /// render, encode, JSON) and the full bound they give.</summary>
    Parts = 8,
    /// <summary>Everything (the ratios need all of them).</summary>
    All = Pipeline | Models | Sequential | Parts,
}

/// <summary>What <see cref="PoseBenchmark"/> measures and with which settings.</summary>
public sealed record BenchmarkOptions
{
    /// <summary>Video file or image folder (live sources are refused: their rate is not the pipeline's).</summary>
    public required string Input { get; init; }
    /// <summary>Frames to process; null = the input once.</summary>
    public long? Frames { get; init; }
    /// <summary>Start the input again at its end until <see cref="Frames"/> frames are done (needs <see cref="Frames"/>).</summary>
    public bool Loop { get; init; }
    /// <summary>Models and session settings (the pipeline, the model figures and the sequential loop share them).</summary>
    public PoseEstimatorOptions Estimator { get; init; } = new();
    /// <summary>Pipeline settings (its frame limit is replaced by <see cref="Frames"/>).</summary>
    public PipelineOptions Pipeline { get; init; } = new();
    /// <summary>Parts to run (default all).</summary>
    public BenchmarkSections Sections { get; init; } = BenchmarkSections.All;
    /// <summary>Frame at which the pipeline's working set is recorded for the memory check (default 500; half the run when shorter).</summary>
    public long MemoryCheckpointFrame { get; init; } = 500;
    /// <summary>
    /// Frames of a first, short pipeline run from the cold start (default 50; 0 = none): it gives the time to the first
    /// frame and warms up the code, so the measured runs are all warm.
    /// </summary>
    public long WarmUpFrames { get; init; } = 50;
    /// <summary>Most frames held in memory for the model-only figures (default 100).</summary>
    public int MaxHeldFrames { get; init; } = 100;
    /// <summary>Folder for the annotated videos and JSON lines; null = a temporary folder deleted afterwards.</summary>
    public string? OutputDirectory { get; init; }
    /// <summary>Receives one line per phase; null = silent.</summary>
    public IProgress<string>? Log { get; init; }

    /// <summary>Throws <see cref="PoseTrackException"/> for inconsistent settings.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Input)) throw new PoseTrackException("Input must name a video file");
        if (Frames is < 1) throw new PoseTrackException($"Frames must be at least 1 (got {Frames})");
        if (Loop && Frames is null) throw new PoseTrackException("Loop needs Frames (how many frames to run in all)");
        if (MemoryCheckpointFrame < 1) throw new PoseTrackException($"MemoryCheckpointFrame must be at least 1 (got {MemoryCheckpointFrame})");
        if (WarmUpFrames < 0) throw new PoseTrackException($"WarmUpFrames must be 0 or more (got {WarmUpFrames})");
        if (MaxHeldFrames < 1) throw new PoseTrackException($"MaxHeldFrames must be at least 1 (got {MaxHeldFrames})");
        if ((Sections & BenchmarkSections.All) == 0) throw new PoseTrackException("Sections names no section to run");
        Pipeline.Validate();
    }
}
