using PoseTrack.Tracking;

namespace PoseTrack.Pipeline;

/// <summary>When a source may drop frames.</summary>
public enum DropFramesMode
{
    /// <summary>Drop for live sources (camera, stream), never for files and folders.</summary>
    Auto,
    /// <summary>Always drop the oldest waiting frame when the pipeline is behind.</summary>
    On,
    /// <summary>Never drop: the source waits for the pipeline.</summary>
    Off,
}

/// <summary>Which tracker links poses across frames.</summary>
public enum TrackerKind
{
    /// <summary>Simple Baselines' flow-free tracker: greedy matching by OKS to each track's last pose.</summary>
    Oks,
    /// <summary>Greedy box-IoU matching (baseline).</summary>
    Iou,
}

/// <summary>Settings of the streaming pipeline.</summary>
public sealed record PipelineOptions
{
    /// <summary>Frames each bounded channel between two stages holds (default 4).</summary>
    public int ChannelCapacity { get; init; } = 4;
    /// <summary>Run the detector on every k-th frame (default 1 = every frame); between, boxes come from the tracks.</summary>
    public int DetectEvery { get; init; } = 1;
    /// <summary>Frame dropping policy for live sources.</summary>
    public DropFramesMode DropFrames { get; init; } = DropFramesMode.Auto;
    /// <summary>Stop after this many frames (null = all).</summary>
    public long? MaxFrames { get; init; }
    /// <summary>Skip frames before this time in seconds.</summary>
    public double StartSeconds { get; init; }
    /// <summary>Tracker choice.</summary>
    public TrackerKind Tracker { get; init; } = TrackerKind.Oks;
    /// <summary>Tracker thresholds and smoothing (its MaxAge is replaced by <see cref="MaxAgeFrames"/>).</summary>
    public TrackerOptions TrackerOptions { get; init; } = new();
    /// <summary>Frames an unmatched track survives; null = one second of the source's frame rate.</summary>
    public int? MaxAgeFrames { get; init; }
    /// <summary>Draw an fps / people overlay on the annotated video.</summary>
    public bool Overlay { get; init; } = true;
    /// <summary>Keypoints under this score are not drawn.</summary>
    public float DrawScoreThreshold { get; init; } = 0.3f;
    /// <summary>Draw each person's box on the annotated video.</summary>
    public bool DrawBoxes { get; init; } = true;
    /// <summary>Draw each person's track id on the annotated video.</summary>
    public bool DrawLabels { get; init; } = true;
    /// <summary>Limb width in pixels; null = sized to each person's box height (see <see cref="Rendering.SkeletonRendererOptions.LineWidth"/>).</summary>
    public float? LineWidth { get; init; }
    /// <summary>Keypoint dot radius in pixels; null = sized to each person's box height.</summary>
    public float? DotRadius { get; init; }

    /// <summary>The drawing settings of these options (drawing never changes the results, only the picture).</summary>
    public Rendering.SkeletonRendererOptions RendererOptions() =>
        new(DrawScoreThreshold, DrawBoxes, DrawLabels) { LineWidth = LineWidth, DotRadius = DotRadius };

    /// <summary>
    /// Test seam: called by each stage (detect, pose, track, render) with its name and the frame index before it
    /// works on a frame; an exception thrown here is a fault in that stage.
    /// </summary>
    internal Action<string, long>? StageHook { get; init; }

    /// <summary>
    /// Throws <see cref="Core.PoseTrackException"/> naming the first out-of-range value, <see cref="TrackerOptions"/>
    /// included. <see cref="PosePipeline"/> calls it once when built.
    /// </summary>
    public void Validate()
    {
        if (ChannelCapacity < 1) throw new Core.PoseTrackException($"ChannelCapacity must be at least 1 (got {ChannelCapacity})");
        if (DetectEvery < 1) throw new Core.PoseTrackException($"DetectEvery must be at least 1 (got {DetectEvery})");
        if (MaxFrames is < 1) throw new Core.PoseTrackException($"MaxFrames must be at least 1 (got {MaxFrames})");
        if (!(StartSeconds >= 0) || double.IsInfinity(StartSeconds)) throw new Core.PoseTrackException($"StartSeconds must be 0 or more seconds (got {StartSeconds})");
        if (!Enum.IsDefined(DropFrames)) throw new Core.PoseTrackException($"DropFrames is not a drop-frames mode (got {DropFrames})");
        if (!Enum.IsDefined(Tracker)) throw new Core.PoseTrackException($"Tracker is not a tracker kind (got {Tracker})");
        if (!(DrawScoreThreshold >= 0 && DrawScoreThreshold <= 1)) throw new Core.PoseTrackException($"DrawScoreThreshold must be within 0..1 (got {DrawScoreThreshold})");
        if (LineWidth is { } lw && !(lw >= 1 && lw <= Rendering.SkeletonRenderer.MaxPixels)) throw new Core.PoseTrackException($"LineWidth must be 1..{Rendering.SkeletonRenderer.MaxPixels} pixels (got {lw})");
        if (DotRadius is { } dr && !(dr >= 1 && dr <= Rendering.SkeletonRenderer.MaxPixels)) throw new Core.PoseTrackException($"DotRadius must be 1..{Rendering.SkeletonRenderer.MaxPixels} pixels (got {dr})");
        if (MaxAgeFrames is < 0) throw new Core.PoseTrackException($"MaxAgeFrames must be 0 or more frames (got {MaxAgeFrames})");
        TrackerOptions.Validate();
    }

    /// <summary>
    /// The tracker these options ask for, its max age in frames set for a video at <paramref name="fps"/>. The options
    /// were validated when the pipeline was built (<see cref="Validate"/>, tracker options included) and the max age
    /// set here is valid by construction, so the tracker does not check them again.
    /// </summary>
    internal ITracker CreateTracker(double fps)
    {
        var options = TrackerOptions with { MaxAge = MaxAgeFrames ?? TrackerOptions.MaxAgeForFps(fps) };
        return Tracker == TrackerKind.Iou ? new IouTracker(options, validated: true) : new OksTracker(options, validated: true);
    }
}

/// <summary>Progress of a running pipeline, reported after each frame written.</summary>
/// <param name="FramesDone">Frames through every sink.</param>
/// <param name="FramesTotal">Frames expected (files), or null.</param>
/// <param name="Fps">Frames per second since the start.</param>
/// <param name="People">People in the last frame.</param>
/// <param name="Dropped">Frames a live source dropped so far.</param>
public sealed record PipelineProgress(long FramesDone, long? FramesTotal, double Fps, int People, long Dropped)
{
    /// <summary>Time the last frame took from being read off the source to leaving the sinks.</summary>
    public TimeSpan Latency { get; init; }
    /// <summary>Interruptions of a live source bridged by reconnecting so far (<see cref="Sources.SourceGap"/>).</summary>
    public int Gaps { get; init; }
    /// <summary>Busy time of each stage so far: source, detect, pose, track, render, sinks.</summary>
    public IReadOnlyList<StageSummary> Stages { get; init; } = [];
}

/// <summary>Busy time of one stage over the run.</summary>
/// <param name="Name">Stage name.</param>
/// <param name="Frames">Frames it processed.</param>
/// <param name="Busy">Time spent working (not waiting).</param>
public sealed record StageSummary(string Name, long Frames, TimeSpan Busy)
{
    /// <summary>Mean number of frames waiting in the stage's input channel when it took one (a full input = the bottleneck is here or below).</summary>
    public double MeanQueueDepth { get; init; }
}

/// <summary>What a finished run did.</summary>
/// <param name="Frames">Frames processed and written.</param>
/// <param name="Elapsed">Wall time from start to the sinks' completion.</param>
/// <param name="TracksSeen">Distinct track ids assigned.</param>
/// <param name="DroppedFrames">Frames dropped by a live source.</param>
/// <param name="Stopped">True when the run was stopped early (Ctrl+C, a preview window closed).</param>
/// <param name="SourceProblem">Set when the source ended early (truncated or corrupt input): what happened.</param>
/// <param name="Stages">Per-stage busy time: source (decoding), detect, pose, track, render, sinks (encoding and writing).</param>
/// <param name="FirstFrameOut">Time from the pipeline's start to the first frame written.</param>
public sealed record PipelineSummary(long Frames, TimeSpan Elapsed, int TracksSeen, long DroppedFrames, bool Stopped,
    string? SourceProblem, IReadOnlyList<StageSummary> Stages, TimeSpan? FirstFrameOut)
{
    /// <summary>Interruptions of a live source that were bridged by reconnecting (<see cref="Sources.SourceGap"/>).</summary>
    public int Gaps { get; init; }

    /// <summary>
    /// The tracker's lifecycle totals: persons rejected as implausible (never tracked), tentative tracks dropped
    /// unconfirmed, tracks re-found (<see cref="Tracking.TrackerCounts"/>).
    /// </summary>
    public Tracking.TrackerCounts Tracking { get; init; }

    /// <summary>
    /// Live sources: median end-to-end latency, from a frame's arrival from the source (decoded, as ffmpeg hands it
    /// over) to its being written by every sink; frames dropped on the way are not counted. Null for files.
    /// </summary>
    public TimeSpan? LatencyP50 { get; init; }

    /// <summary>Live sources: 95th percentile of the end-to-end latency (see <see cref="LatencyP50"/>).</summary>
    public TimeSpan? LatencyP95 { get; init; }

    /// <summary>Mean frames per second over the run.</summary>
    public double MeanFps => Elapsed.TotalSeconds > 0 ? Frames / Elapsed.TotalSeconds : 0;
}
