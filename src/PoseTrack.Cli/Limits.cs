using System.CommandLine;

namespace PoseTrack.Cli;

/// <summary>
/// Upper limits of the size options, tied to this machine: past them a run only slows the machine down or runs it
/// out of memory (e.g. <c>--threads 1000</c> started two thousand threads that stalled the machine and kept SIGTERM
/// from being handled). A value beyond one is a parse error: one line naming the option and the limit, exit 2.
/// </summary>
internal static class Limits
{
    /// <summary>Intra-op threads of one model, or runs side by side: more than the cores only adds contention.</summary>
    public static int Cores => Environment.ProcessorCount;

    /// <summary>
    /// Frames one channel between two stages holds. The pipeline pools about six frames per unit of capacity; at 64
    /// that is ~390 frames in flight (2.4 GB at 1080p), far past any gain in throughput (4 is the default).
    /// </summary>
    public const int MaxChannelCapacity = 64;

    /// <summary>Adds a check that the option's value (when given) is at most <paramref name="max"/>.</summary>
    public static void AtMost(Option<int> option, int max, string why) => option.Validators.Add(result =>
    {
        if (Parsed<int>(result) is { } v && v > max) result.AddError($"{option.Name}: {v} is more than {max} ({why})");
    });

    /// <inheritdoc cref="AtMost(Option{int}, int, string)"/>
    public static void AtMost(Option<int?> option, int max, string why) => option.Validators.Add(result =>
    {
        if (Parsed<int?>(result) is { } v && v > max) result.AddError($"{option.Name}: {v} is more than {max} ({why})");
    });

    /// <summary>The value the user gave, or null when none was given or it does not parse (that error is reported on its own).</summary>
    private static int? Parsed<T>(System.CommandLine.Parsing.OptionResult result)
    {
        if (result.Tokens.Count == 0) return null;
        try { return result.GetValueOrDefault<T>() is int v ? v : null; }
        catch (InvalidOperationException) { return null; }
    }

    /// <summary>The reason given for a per-core limit.</summary>
    public static string CoresWhy => $"this machine has {Cores} cores";
}
