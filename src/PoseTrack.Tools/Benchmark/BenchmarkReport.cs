using System.Text.Json;
using System.Text.Json.Serialization;

namespace PoseTrack.Benchmark;

/// <summary>The machine the figures come from.</summary>
/// <param name="Cores">Logical processors available to the process.</param>
/// <param name="CpuModel">"model name" from /proc/cpuinfo (or the architecture when unknown).</param>
/// <param name="Os">Operating system.</param>
/// <param name="Runtime">.NET runtime.</param>
/// <param name="OnnxRuntime">ONNX Runtime version.</param>
/// <param name="ExecutionProvider">Provider the models ran on ("cpu", "cuda", "tensorrt").</param>
public sealed record MachineFigures(int Cores, string CpuModel, string Os, string Runtime, string OnnxRuntime, string ExecutionProvider);

/// <summary>The input and the settings of the run.</summary>
/// <param name="Input">Input as given.</param>
/// <param name="Width">Frame width.</param>
/// <param name="Height">Frame height.</param>
/// <param name="Fps">The input's frame rate.</param>
/// <param name="Frames">Frames asked for (each of pipeline and sequential loop).</param>
/// <param name="Loop">Whether the input was repeated.</param>
/// <param name="Detector">Detector model.</param>
/// <param name="PoseModel">Pose model.</param>
/// <param name="DetectorThreads">Detector intra-op threads (0 = ONNX Runtime's default).</param>
/// <param name="PoseThreads">Pose intra-op threads (0 = ONNX Runtime's default).</param>
/// <param name="PoseRuns">Pose runs of one frame's crops side by side.</param>
/// <param name="Spinning">Intra-op spinning ("on", "off", "default").</param>
/// <param name="PoseBatched">Whether the pose graph takes batches of crops.</param>
public sealed record RunSettings(string Input, int Width, int Height, double Fps, long Frames, bool Loop,
    string Detector, string PoseModel, int DetectorThreads, int PoseThreads, int PoseRuns, string Spinning, bool PoseBatched);

/// <summary>Pose model time per crop at one batch size.</summary>
/// <param name="Batch">Crops per run.</param>
/// <param name="PerCrop">Run time divided by the batch size.</param>
public sealed record PoseBatchFigures(int Batch, TimingStats PerCrop);

/// <summary>The pose stage on one frame with a given number of people (crop, run, decode, map back: all of it).</summary>
/// <param name="People">Person boxes in the frame (real boxes of the input, repeated when it has fewer).</param>
/// <param name="PerFrame">Time for the frame.</param>
public sealed record PeopleScalingFigures(int People, TimingStats PerFrame)
{
    /// <summary>Median time per person.</summary>
    public double MsPerPerson => PerFrame.MedianMs / People;
}

/// <summary>One way of running only the models, and its rate.</summary>
/// <param name="Name">What ran ("sequential, pipeline sessions", …).</param>
/// <param name="Fps">Frames per second.</param>
public sealed record BoundCandidate(string Name, double Fps);

/// <summary>Model-only figures over frames held in memory.</summary>
/// <param name="HeldFrames">Frames decoded into memory first.</param>
/// <param name="MeanPeople">Mean detector boxes per held frame.</param>
/// <param name="Crops">Distinct real crops used for the pose timings.</param>
/// <param name="Detector">Detector time per frame (pre-processing, run, post-processing).</param>
/// <param name="PoseBatches">Pose model run time per crop at batch 1, 2, 4, 8 (model run only, crops packed before).</param>
/// <param name="PeopleScaling">The whole pose stage on one frame with 1, 2, 4, 8, 16 people.</param>
/// <param name="BoundFps">The model bound: the best frames per second of the models alone, one frame at a time
/// (detector, then pose on that frame's boxes), over the session settings tried.</param>
/// <param name="BoundBy">Name of the best candidate.</param>
/// <param name="Candidates">Every session setting tried.</param>
/// <param name="OverlappedFps">For information: the models alone with the pipeline's sessions, the detector on one
/// thread and the pose model on another (frame i+1 detected while frame i is posed), as the pipeline overlaps them.</param>
/// <param name="OtherCores">Mean cores other processes kept busy during the model figures.</param>
public sealed record ModelFigures(int HeldFrames, double MeanPeople, int Crops, TimingStats Detector,
    IReadOnlyList<PoseBatchFigures> PoseBatches, IReadOnlyList<PeopleScalingFigures> PeopleScaling, double BoundFps, string BoundBy, IReadOnlyList<BoundCandidate> Candidates,
    double OverlappedFps, double OtherCores)
{
    /// <summary>Per-crop time at batch 8 over batch 1 (below 1 = batching pays).</summary>
    public double PoseBatch8VsBatch1 =>
        PoseBatches.FirstOrDefault(b => b.Batch == 8) is { } b8 && PoseBatches.FirstOrDefault(b => b.Batch == 1) is { } b1 && b1.PerCrop.MedianMs > 0
            ? b8.PerCrop.MedianMs / b1.PerCrop.MedianMs : double.NaN;

    /// <summary>Pose time per person with 16 people in the frame over that with 1 (1 = cost grows linearly with people;
    /// below 1 = crops run side by side use idle cores; above 1 = the stage slows down as people are added).</summary>
    public double PerPerson16VsOne =>
        PeopleScaling.FirstOrDefault(p => p.People == 16) is { } p16 && PeopleScaling.FirstOrDefault(p => p.People == 1) is { } p1 && p1.MsPerPerson > 0
            ? p16.MsPerPerson / p1.MsPerPerson : double.NaN;
}

/// <summary>Rate of a run that wrote every frame out.</summary>
/// <param name="Frames">Frames written.</param>
/// <param name="Seconds">Wall time from the start to the last frame written.</param>
/// <param name="Fps">Steady rate: frames after the first over the time from the first frame out to the last
/// (so start-up and the pipeline's fill are not counted; both runs are measured the same way).</param>
/// <param name="FirstFrameMs">Time from the run's start to its first frame out.</param>
/// <param name="Sessions">Session settings it ran with.</param>
/// <param name="CpuMsPerFrame">Processor time of the whole process (all threads, user and system) per frame: work done,
/// whatever the wall clock; spinning threads show here.</param>
/// <param name="OtherCores">Mean cores other processes kept busy meanwhile (0 on a quiet machine; NaN where unknown).</param>
/// <param name="AllocatedKbPerFrame">Managed memory allocated per frame (all threads), in KiB.</param>
public sealed record ThroughputFigures(long Frames, double Seconds, double Fps, double FirstFrameMs, string Sessions, double CpuMsPerFrame,
    double OtherCores, double AllocatedKbPerFrame)
{
    /// <summary>Processor time per frame of the run's child processes (the ffmpeg writer), counted when they exited.</summary>
    public double ChildCpuMsPerFrame { get; init; }
}

/// <summary>One pipeline stage over the run.</summary>
/// <param name="Name">Stage.</param>
/// <param name="Frames">Frames it handled.</param>
/// <param name="BusyMsPerFrame">Working time per frame.</param>
/// <param name="Utilisation">Busy time over the pipeline's wall time (1 = never idle: the bottleneck).</param>
/// <param name="MeanQueueDepth">Mean frames waiting in its input when it took one.</param>
public sealed record StageFigures(string Name, long Frames, double BusyMsPerFrame, double Utilisation, double MeanQueueDepth);

/// <summary>One part of the pipeline's work measured alone.</summary>
/// <param name="Name">Part ("decode", "detector pre-processing", …).</param>
/// <param name="CpuMsPerFrame">Processor time per frame (see <see cref="PartsFigures.Clock"/>).</param>
/// <param name="InPipeline">True for a part the pipeline does (counted in the full bound); false for an alternative
/// measured for comparison (e.g. decoding with an ffmpeg child).</param>
public sealed record PartFigures(string Name, double CpuMsPerFrame, bool InPipeline);

/// <summary>Every part of the pipeline's work alone, and the full bound they give.</summary>
/// <param name="Frames">Frames each part ran on.</param>
/// <param name="Cores">Cores the bound spreads the work over.</param>
/// <param name="Clock">What the figures measure (processor time, not wall time).</param>
/// <param name="Parts">The parts in pipeline order, then the alternatives.</param>
public sealed record PartsFigures(int Frames, int Cores, string Clock, IReadOnlyList<PartFigures> Parts)
{
    /// <summary>Processor time per frame of the parts the pipeline does, all together.</summary>
    public double TotalCpuMsPerFrame => Parts.Where(p => p.InPipeline && double.IsFinite(p.CpuMsPerFrame)).Sum(p => Math.Max(0, p.CpuMsPerFrame));

    /// <summary>The full bound: frames per second with every part's work spread over every core (cores × 1000 / total).</summary>
    public double FullBoundFps => TotalCpuMsPerFrame > 0 ? Cores * 1000.0 / TotalCpuMsPerFrame : double.NaN;

    /// <summary>The part of the pipeline that costs most.</summary>
    public PartFigures? Dominant => Parts.Where(p => p.InPipeline).MaxBy(p => p.CpuMsPerFrame);

    /// <summary>The dominant part's share of the total.</summary>
    public double DominantShare => Dominant is { } d && TotalCpuMsPerFrame > 0 ? d.CpuMsPerFrame / TotalCpuMsPerFrame : double.NaN;
}

/// <summary>Working set figures in MiB.</summary>
/// <param name="CheckpointFrame">Frame of the pipeline at which <paramref name="AtCheckpointMb"/> was taken.</param>
/// <param name="AtCheckpointMb">Working set at that frame.</param>
/// <param name="AtEndMb">Working set at the pipeline's last frame.</param>
/// <param name="PeakMb">Peak working set of the process.</param>
/// <param name="FinalMb">Working set when the benchmark ended.</param>
public sealed record MemoryFigures(long CheckpointFrame, double AtCheckpointMb, double AtEndMb, double PeakMb, double FinalMb)
{
    /// <summary>End over checkpoint (1 = flat).</summary>
    public double EndVsCheckpoint => AtCheckpointMb > 0 ? AtEndMb / AtCheckpointMb : double.NaN;
}

/// <summary>Everything one <see cref="PoseBenchmark"/> run measured; sections that did not run are null.</summary>
public sealed record BenchmarkReport
{
    /// <summary>The machine.</summary>
    public required MachineFigures Machine { get; init; }
    /// <summary>Input and settings.</summary>
    public required RunSettings Settings { get; init; }
    /// <summary>Model-only figures.</summary>
    public ModelFigures? Models { get; init; }
    /// <summary>The one-thread loop.</summary>
    public ThroughputFigures? Sequential { get; init; }
    /// <summary>The real pipeline.</summary>
    public ThroughputFigures? Pipeline { get; init; }
    /// <summary>The pipeline's stages: source, detect, pose, track, render, sinks.</summary>
    public IReadOnlyList<StageFigures>? Stages { get; init; }
    /// <summary>Process start to the first frame out of the first pipeline run (cold: models loaded, code not yet compiled).</summary>
    public double? TimeToFirstFrameMs { get; init; }
    /// <summary>Working set.</summary>
    public MemoryFigures? Memory { get; init; }
    /// <summary>Each part of the work alone, in processor time per frame, and the full bound.</summary>
    public PartsFigures? Parts { get; init; }

    /// <summary>Pipeline rate over the model bound (1 = the pipeline runs at the speed of its models).</summary>
    public double? PipelineVsBound => Pipeline is { } p && Models is { BoundFps: > 0 } m ? p.Fps / m.BoundFps : null;
    /// <summary>Pipeline rate over the full bound (1 = the pipeline keeps every core busy with the work of its parts).</summary>
    public double? PipelineVsFullBound => Pipeline is { } p && Parts is { FullBoundFps: > 0 } parts ? p.Fps / parts.FullBoundFps : null;
    /// <summary>
    /// Processor time per frame of the parts measured alone over that of the pipeline (its process and its writer
    /// child): 1 = the pipeline adds no work of its own. Unlike the rates it hardly moves when other processes share
    /// the machine, so it says how close the pipeline could come to the full bound on a quiet one.
    /// </summary>
    public double? PartsVsPipelineCpu => Pipeline is { CpuMsPerFrame: > 0 } p && Parts is { TotalCpuMsPerFrame: > 0 } parts
        ? parts.TotalCpuMsPerFrame / (p.CpuMsPerFrame + p.ChildCpuMsPerFrame) : null;
    /// <summary>Pipeline rate over the models alone overlapped as the pipeline overlaps them.</summary>
    public double? PipelineVsOverlapped => Pipeline is { } p && Models is { OverlappedFps: > 0 } m ? p.Fps / m.OverlappedFps : null;
    /// <summary>Pipeline rate over the sequential loop's.</summary>
    public double? PipelineVsSequential => Pipeline is { } p && Sequential is { Fps: > 0 } s ? p.Fps / s.Fps : null;

    /// <summary>Writes the report as one JSON object (snake_case names, milliseconds, MiB, frames per second).</summary>
    public void WriteJson(Utf8JsonWriter w) => JsonSerializer.Serialize(w, ToJson(), BenchmarkJsonContext.Default.BenchmarkJson);

    /// <summary>The report as its JSON DTO: figures rounded to 4 decimals, a missing or non-finite one null.</summary>
    internal BenchmarkJson ToJson()
    {
        var s = Settings;
        var m = Models;
        return new BenchmarkJson(
            new MachineJson(Machine.Cores, Machine.CpuModel, Machine.Os, Machine.Runtime, Machine.OnnxRuntime, Machine.ExecutionProvider),
            new SettingsJson(s.Input, s.Width, s.Height, N(s.Fps), s.Frames, s.Loop, s.Detector, s.PoseModel, s.DetectorThreads, s.PoseThreads,
                s.PoseRuns, s.Spinning, s.PoseBatched),
            m is null ? null : new ModelFiguresJson(m.HeldFrames, N(m.MeanPeople), m.Crops, N(m.OtherCores), Timing(m.Detector),
                [.. m.PoseBatches.Select(b => new BatchTimingJson(b.Batch, N(b.PerCrop.MedianMs), N(b.PerCrop.P90Ms), b.PerCrop.Samples))],
                [.. m.PeopleScaling.Select(p => new PeopleTimingJson(p.People, N(p.PerFrame.MedianMs), N(p.PerFrame.P90Ms), N(p.MsPerPerson), p.PerFrame.Samples))]),
            m is null ? null : new ModelBoundJson(N(m.BoundFps), m.BoundBy, [.. m.Candidates.Select(c => new CandidateJson(c.Name, N(c.Fps)))], N(m.OverlappedFps)),
            Throughput(Sequential), Throughput(Pipeline),
            Stages?.Select(st => new StageJson(st.Name, st.Frames, N(st.BusyMsPerFrame), N(st.Utilisation), N(st.MeanQueueDepth))).ToArray(),
            Parts is { } parts ? new PartsJson(parts.Frames, parts.Cores, parts.Clock,
                [.. parts.Parts.Select(p => new PartJson(p.Name, N(p.CpuMsPerFrame), p.InPipeline))], N(parts.TotalCpuMsPerFrame),
                N(parts.FullBoundFps), parts.Dominant?.Name, N(parts.DominantShare)) : null,
            new RatiosJson(N(PipelineVsBound), N(PipelineVsFullBound), N(PartsVsPipelineCpu), N(PipelineVsSequential), N(PipelineVsOverlapped), N(m?.PoseBatch8VsBatch1), N(m?.PerPerson16VsOne)),
            N(TimeToFirstFrameMs),
            Memory is { } mem ? new MemoryJson(mem.CheckpointFrame, N(mem.AtCheckpointMb), N(mem.AtEndMb), N(mem.EndVsCheckpoint), N(mem.PeakMb), N(mem.FinalMb)) : null);

        static TimingJson Timing(TimingStats t) => new(N(t.MedianMs), N(t.P90Ms), t.Samples);
        static ThroughputJson? Throughput(ThroughputFigures? t) => t is null ? null
            : new(t.Frames, N(t.Seconds), N(t.Fps), N(t.FirstFrameMs), N(t.CpuMsPerFrame), N(t.ChildCpuMsPerFrame), N(t.OtherCores), N(t.AllocatedKbPerFrame), t.Sessions);
    }

    /// <summary>A figure rounded to 4 decimals; null when missing or not finite.</summary>
    private static double? N(double? v) => v is { } x && double.IsFinite(x) ? Math.Round(x, 4) : null;
}

// The JSON DTOs of BenchmarkReport (snake_case of their names unless named): the names are the documentation.
internal sealed record BenchmarkJson(MachineJson Machine, SettingsJson Settings, ModelFiguresJson? Models, ModelBoundJson? ModelBound,
    ThroughputJson? Sequential, ThroughputJson? Pipeline, StageJson[]? Stages, PartsJson? Parts, RatiosJson Ratios, double? TimeToFirstFrameMs,
    [property: JsonPropertyName("memory_mb")] MemoryJson? Memory);
internal sealed record MachineJson(int Cores, string CpuModel, string Os, string Runtime,
    [property: JsonPropertyName("onnxruntime")] string OnnxRuntime, string ExecutionProvider);
internal sealed record SettingsJson(string Input, int Width, int Height, double? InputFps, long Frames, bool Loop, string Detector, string PoseModel,
    int DetectorThreads, int PoseThreads, [property: JsonPropertyName("pose_runs_side_by_side")] int PoseRuns, string Spinning, bool PoseBatched);
internal sealed record ModelFiguresJson(int HeldFrames, double? MeanPeople, int Crops, [property: JsonPropertyName("other_processes_cores")] double? OtherCores,
    [property: JsonPropertyName("detector_ms")] TimingJson Detector,
    [property: JsonPropertyName("pose_ms_per_crop")] BatchTimingJson[] PoseBatches,
    [property: JsonPropertyName("pose_ms_per_frame_by_people")] PeopleTimingJson[] PeopleScaling);
internal sealed record TimingJson(double? Median, double? P90, int Runs);
internal sealed record BatchTimingJson(int Batch, double? Median, double? P90, int Runs);
internal sealed record PeopleTimingJson(int People, double? Median, double? P90, double? PerPerson, int Runs);
internal sealed record ModelBoundJson(double? Fps, string By, CandidateJson[] Candidates, double? OverlappedFps);
internal sealed record CandidateJson(string Name, double? Fps);
internal sealed record ThroughputJson(long Frames, double? Seconds, double? Fps, double? FirstFrameMs, double? CpuMsPerFrame, double? ChildCpuMsPerFrame,
    [property: JsonPropertyName("other_processes_cores")] double? OtherCores, double? AllocatedKbPerFrame, string Sessions);
internal sealed record StageJson(string Name, long Frames, double? BusyMsPerFrame, double? Utilisation, double? MeanQueueDepth);
internal sealed record PartsJson(int Frames, int Cores, string Clock, PartJson[] Parts, double? TotalCpuMsPerFrame, double? FullBoundFps,
    string? Dominant, double? DominantShare);
internal sealed record PartJson(string Name, double? CpuMsPerFrame, bool InPipeline);
internal sealed record RatiosJson(double? PipelineVsBound, double? PipelineVsFullBound,
    [property: JsonPropertyName("parts_cpu_vs_pipeline_cpu")] double? PartsVsPipelineCpu, double? PipelineVsSequential,
    [property: JsonPropertyName("pipeline_vs_overlapped_models")] double? PipelineVsOverlapped,
    [property: JsonPropertyName("pose_batch8_vs_batch1")] double? PoseBatch8VsBatch1,
    [property: JsonPropertyName("pose_per_person_16_vs_1")] double? PerPerson16VsOne);
internal sealed record MemoryJson(long CheckpointFrame, [property: JsonPropertyName("working_set_at_checkpoint")] double? AtCheckpointMb,
    [property: JsonPropertyName("working_set_at_end")] double? AtEndMb, double? EndVsCheckpoint,
    [property: JsonPropertyName("peak_working_set")] double? PeakMb, [property: JsonPropertyName("final_working_set")] double? FinalMb);

/// <summary>Source-generated serialiser of <see cref="BenchmarkReport"/>'s JSON (snake_case names, nulls written).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(BenchmarkJson))]
internal sealed partial class BenchmarkJsonContext : JsonSerializerContext;
