using System.Text.RegularExpressions;
using PoseTrack.Core;

namespace PoseTrack.Cli;

/// <summary>
/// The library's option checks name its properties ("StartSeconds must be 0 or more"); the CLI user typed flags.
/// <see cref="Check"/> runs a library check and renames the properties in its message to the flags they came from.
/// </summary>
internal static class OptionNames
{
    public static readonly (string Property, string Option)[] Pipeline =
    [
        ("ChannelCapacity", "--channel-capacity"), ("DetectEvery", "--det-every"), ("MaxFrames", "--max-frames"),
        ("StartSeconds", "--start"), ("MaxAgeFrames", "--max-age"),
        ("DrawScoreThreshold", "--draw-threshold"), ("LineWidth", "--line-width"), ("DotRadius", "--dot-size"),
        ("MatchThreshold", "--match-threshold"), ("KeypointScoreThreshold", "--kp-threshold"), ("IouMatchThreshold", "--iou-threshold"),
        ("OksWeight", "--oks-weight"), ("MinCutoff", "--smooth-min-cutoff"), ("Beta", "--smooth-beta"), ("DCutoff", "--smooth-d-cutoff"),
    ];

    public static readonly (string Property, string Option)[] Report =
    [
        ("SwitchSeconds", "--switch-seconds"), ("SwitchBoxHeights", "--switch-box-heights"), ("ShortTrackFrames", "--short-track"),
        ("JumpBoxHeights", "--jump"), ("MaxThumbnailTracks", "--max-thumbnails"),
    ];

    public static readonly (string Property, string Option)[] Bench =
    [
        ("Input", "--input"), ("Frames", "--frames"), ("Loop", "--loop"), ("MemoryCheckpointFrame", "--checkpoint"),
        ("WarmUpFrames", "--warmup"), ("Sections", "--sections"), .. Pipeline,
    ];

    /// <summary>Runs <paramref name="check"/>; a <see cref="PoseTrackException"/> it throws comes back with flags for properties.</summary>
    public static void Check(Action check, params (string Property, string Option)[] names)
    {
        try { check(); }
        catch (PoseTrackException e) { throw new PoseTrackException(Rename(e.Message, names), e); }
    }

    /// <summary>
    /// Each property named in <paramref name="message"/> (as a whole word, with or without its type: "StartSeconds",
    /// "TrackerOptions.MatchThreshold") replaced by its flag.
    /// </summary>
    public static string Rename(string message, IEnumerable<(string Property, string Option)> names)
    {
        foreach (var (property, option) in names)
            message = Regex.Replace(message, $@"(?<![\w.-])(?:[A-Z]\w*Options\.)?{Regex.Escape(property)}(?![\w-])", option);
        return message;
    }
}
