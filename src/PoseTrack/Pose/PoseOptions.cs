namespace PoseTrack.Pose;

/// <summary>How person crops are batched through the pose model.</summary>
public enum PoseBatching
{
    /// <summary>Batched when the graph's batch dimension is (or can be made) dynamic, else one crop per run.</summary>
    Auto,
    /// <summary>Always one crop per run.</summary>
    Loop,
}

/// <summary>Top-down pose settings.</summary>
/// <param name="Flip">Flip test: also run the mirrored crop and average (about 2× the pose cost).</param>
/// <param name="Dark">DARK sub-pixel refinement instead of the quarter-pixel rule (heatmap models).</param>
/// <param name="Padding">Box enlargement before cropping (Simple Baselines: 1.25).</param>
/// <param name="Batching">Batching mode.</param>
/// <param name="MaxBatch">Largest batch per run when batched.</param>
/// <param name="NmsThreshold">Pose NMS on detector boxes: of two poses with OKS above this, the weaker is dropped (1 = off).</param>
/// <param name="CentrePrior">Which person a MoveNet crop is decoded for (models imported with their heads exposed).</param>
public sealed record PoseOptions(
    bool Flip = false,
    bool Dark = false,
    float Padding = AffineCrop.DefaultPadding,
    PoseBatching Batching = PoseBatching.Auto,
    int MaxBatch = 16,
    float NmsThreshold = PoseNms.DefaultThreshold,
    MoveNetCentrePrior CentrePrior = MoveNetCentrePrior.Model)
{
    /// <summary>Throws <see cref="Core.PoseTrackException"/> naming the first bad value (NaN included).</summary>
    public void Validate()
    {
        if (!(Padding >= 0.5f && Padding <= 3f))
            throw new Core.PoseTrackException($"PoseOptions.Padding must be within 0.5..3 (got {Padding})");
        if (MaxBatch < 1) throw new Core.PoseTrackException($"PoseOptions.MaxBatch must be at least 1 (got {MaxBatch})");
        if (!(NmsThreshold >= 0 && NmsThreshold <= 1))
            throw new Core.PoseTrackException($"PoseOptions.NmsThreshold must be within 0..1 (got {NmsThreshold})");
        if (!Enum.IsDefined(Batching)) throw new Core.PoseTrackException($"PoseOptions.Batching is not a batching mode (got {Batching})");
        if (!Enum.IsDefined(CentrePrior)) throw new Core.PoseTrackException($"PoseOptions.CentrePrior is not a centre prior (got {CentrePrior})");
    }
}
