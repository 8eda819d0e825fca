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
    MoveNetCentrePrior CentrePrior = MoveNetCentrePrior.Model);
