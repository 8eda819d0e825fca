using System.CommandLine;

namespace PoseTrack.Cli;

/// <summary>A named bundle of detection and pose settings (<c>--preset fast|balanced|crowd</c>).</summary>
internal enum Preset
{
    Fast,
    Balanced,
    Crowd,
}

/// <summary>
/// What a preset sets. Each value is a default only: a flag the user gives (<c>--det-threshold 0.5</c>) wins over the
/// preset's value. The figures behind each choice are in README's "Presets" table.
/// </summary>
/// <param name="DetectorSize">Detector input size (0 = the model's own, 320 for RTMDet-nano).</param>
/// <param name="TileRows">Tiles (1 × 1 = none).</param>
/// <param name="TileColumns">Tiles (1 × 1 = none).</param>
/// <param name="DetectorThreshold">Detector score threshold, calibrated with the size and tiling: more input pixels
/// make the detector fire on more background, so larger inputs need a higher threshold.</param>
/// <param name="DetectEvery">Run the detector every k frames (between, boxes come from the tracked poses).</param>
internal sealed record PresetSettings(int DetectorSize, int TileRows, int TileColumns, float DetectorThreshold, int DetectEvery);

internal static class Presets
{
    public const string OptionName = "--preset";

    public static Option<Preset> CreateOption() => Choices.Of(OptionName,
        "Bundle of detector size, tiling, threshold and detection rate: fast (detector every 2nd frame), balanced (the defaults), crowd (whole frame plus 2x2 tiles: more small and distant people, about 5x the detector's time); flags given explicitly win",
        () => Preset.Balanced, [("fast", Preset.Fast), ("balanced", Preset.Balanced), ("crowd", Preset.Crowd)]);

    public static PresetSettings Of(Preset preset) => preset switch
    {
        // Detection is about a third of a frame's work on the sample video; every second frame halves it, and the
        // tracked poses carry the boxes in between.
        Preset.Fast => new(0, 1, 1, 0.3f, 2),
        // Today's defaults: RTMDet-nano at the 320 px it was trained at, threshold 0.3 (MODELS.md).
        Preset.Balanced => new(0, 1, 1, 0.3f, 1),
        // The whole frame plus 2×2 tiles at the default threshold: finds 13 of the 14 annotated people of the PoseTrack18
        // frames against 10, and on TUD-Campus MOTA 0.602 / IDF1 0.722 / IDSW 1 against 0.596 / 0.720 / 1 (the track
        // lifecycle's plausibility check and confirmation keep the tiles' extra false positives out of the tracks).
        Preset.Crowd => new(0, 2, 2, 0.3f, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(preset)),
    };

    /// <summary>The preset given on the command line (balanced when the command has none or it was not given).</summary>
    public static PresetSettings Current(ParseResult r)
    {
        foreach (var o in r.CommandResult.Command.Options)
            if (o.Name == OptionName && o is Option<Preset> preset) return Of(r.GetValue(preset));
        return Of(Preset.Balanced);
    }

    /// <summary>The user's own value when the flag was given, else the preset's.</summary>
    public static T Pick<T>(ParseResult r, Option<T> option, T presetValue) =>
        r.GetResult(option) is { Implicit: false } ? r.GetValue(option)! : presetValue;
}
