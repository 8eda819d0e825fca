namespace PoseTrack.Detection;

/// <summary>Person detector post-processing settings.</summary>
/// <param name="ScoreThreshold">Keep boxes scoring at least this (default 0.3, as measured in MODELS.md).</param>
/// <param name="MinBoxSize">Drop boxes whose width or height (after clipping) is below this many pixels.</param>
public sealed record DetectorOptions(float ScoreThreshold = 0.3f, float MinBoxSize = 4f)
{
    /// <summary>Throws <see cref="Core.PoseTrackException"/> naming the first bad value (NaN included).</summary>
    public void Validate()
    {
        if (!(ScoreThreshold >= 0 && ScoreThreshold <= 1))
            throw new Core.PoseTrackException($"DetectorOptions.ScoreThreshold must be within 0..1 (got {ScoreThreshold})");
        if (!(MinBoxSize >= 0) || float.IsInfinity(MinBoxSize))
            throw new Core.PoseTrackException($"DetectorOptions.MinBoxSize must be 0 or more (got {MinBoxSize})");
    }
}
