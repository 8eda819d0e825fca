namespace PoseTrack.Detection;

/// <summary>Person detector input and post-processing settings.</summary>
/// <param name="ScoreThreshold">Keep boxes scoring at least this (default 0.3, as measured in MODELS.md).</param>
/// <param name="MinBoxSize">Drop boxes whose width or height (after clipping) is below this many pixels.</param>
public sealed record DetectorOptions(float ScoreThreshold = 0.3f, float MinBoxSize = 4f)
{
    /// <summary>
    /// The detector's input width and height in pixels; 0 = the model's own (RTMDet-nano: 320×320, the size it was
    /// trained at). Larger inputs find smaller people at a cost that grows with the area. Only detectors whose graph
    /// takes any size accept another size; it must be a multiple of 32 (the detectors' largest stride).
    /// </summary>
    public int InputWidth { get; init; }

    /// <inheritdoc cref="InputWidth"/>
    public int InputHeight { get; init; }

    /// <summary>
    /// Tiled detection: the frame is detected whole and also cut into <see cref="TileRows"/> × <see cref="TileColumns"/>
    /// overlapping tiles, each detected at the detector's input size, so that distant people are seen at a larger
    /// scale (the idea of sliced inference, SAHI). 1 × 1 (the default) = no tiles.
    /// </summary>
    public int TileRows { get; init; } = 1;

    /// <inheritdoc cref="TileRows"/>
    public int TileColumns { get; init; } = 1;

    /// <summary>
    /// How much neighbouring tiles overlap, as a fraction of a tile's size (default 0.25: a person up to a quarter
    /// of a tile wide is whole in at least one of two neighbouring tiles, so a box cut by a tile edge can be dropped).
    /// </summary>
    public float TileOverlap { get; init; } = 0.25f;

    /// <summary>Boxes from different passes (whole frame, tiles) overlapping more than this IoU are one person (default 0.5, the usual NMS value).</summary>
    public float TileMergeIou { get; init; } = 0.5f;

    /// <summary>True when tiles are on.</summary>
    public bool Tiled => TileRows * TileColumns > 1;

    /// <summary>Throws <see cref="Core.PoseTrackException"/> naming the first bad value (NaN included).</summary>
    public void Validate()
    {
        if (!(ScoreThreshold >= 0 && ScoreThreshold <= 1))
            throw new Core.PoseTrackException($"DetectorOptions.ScoreThreshold must be within 0..1 (got {ScoreThreshold})");
        if (!(MinBoxSize >= 0) || float.IsInfinity(MinBoxSize))
            throw new Core.PoseTrackException($"DetectorOptions.MinBoxSize must be 0 or more (got {MinBoxSize})");
        foreach (var (name, v) in new[] { ("InputWidth", InputWidth), ("InputHeight", InputHeight) })
            if (v != 0 && (v < 32 || v > 4096 || v % 32 != 0))
                throw new Core.PoseTrackException($"DetectorOptions.{name} must be 0 (the model's own) or a multiple of 32 within 32..4096 (got {v})");
        if ((InputWidth == 0) != (InputHeight == 0))
            throw new Core.PoseTrackException($"DetectorOptions.InputWidth and InputHeight must both be set or both be 0 (got {InputWidth}×{InputHeight})");
        if (TileRows is < 1 or > 8 || TileColumns is < 1 or > 8)
            throw new Core.PoseTrackException($"DetectorOptions.TileRows and TileColumns must be within 1..8 (got {TileRows}×{TileColumns})");
        if (!(TileOverlap >= 0 && TileOverlap < 0.5f))
            throw new Core.PoseTrackException($"DetectorOptions.TileOverlap must be within 0..0.5 (got {TileOverlap})");
        if (!(TileMergeIou > 0 && TileMergeIou <= 1))
            throw new Core.PoseTrackException($"DetectorOptions.TileMergeIou must be within 0..1 (got {TileMergeIou})");
    }
}
