namespace PoseTrack.Detection;

/// <summary>Person detector post-processing settings.</summary>
/// <param name="ScoreThreshold">Keep boxes scoring at least this (default 0.3, as measured in MODELS.md).</param>
/// <param name="MinBoxSize">Drop boxes whose width or height (after clipping) is below this many pixels.</param>
public sealed record DetectorOptions(float ScoreThreshold = 0.3f, float MinBoxSize = 4f);
