using PoseTrack.Core;

namespace PoseTrack.Pose;

/// <summary>What a pose model's outputs hold, and so which decoder reads them.</summary>
internal enum PoseOutputKind
{
    /// <summary>One [N,K,H,W] heatmap output.</summary>
    Heatmap,
    /// <summary>Two [N,K,L] outputs: SimCC x and y.</summary>
    Simcc,
    /// <summary>One [N,1,K,3] output: MoveNet's keypoints (y, x, score), already decoded by the graph.</summary>
    MoveNet,
    /// <summary>MoveNet imported with its heads exposed: the keypoint output plus heatmaps, centre, regress and offsets.</summary>
    MoveNetHeads,
}

/// <summary>The kind of a pose model's outputs and its keypoint count.</summary>
internal readonly record struct PoseOutputClass(PoseOutputKind Kind, int Keypoints)
{
    /// <summary>The manifest's name of the decoder (<see cref="Models.ModelEntry.Decoder"/>): both MoveNet kinds are "movenet".</summary>
    public string Decoder => Kind switch
    {
        PoseOutputKind.Heatmap => "heatmap",
        PoseOutputKind.Simcc => "simcc",
        _ => "movenet",
    };
}

/// <summary>
/// The one rule, used when a model is loaded and when one is installed or imported, that says from the output names and
/// shapes which decoder a pose model needs: one [N,1,K,3] → MoveNet; five outputs named as the importer names MoveNet's heads
/// (heatmaps, centre, regress, offsets) plus one [N,1,K,3] → MoveNet with heads; one other [N,K,H,W] → heatmaps; two [N,K,L]
/// with the same K → SimCC. K must be known (positive).
/// </summary>
internal static class PoseOutputClassifier
{
    /// <summary>The output names MoveNet's exposed heads have (<c>TfjsImportOptions.MoveNetHeads</c>).</summary>
    internal static readonly string[] MoveNetHeadNames = ["heatmaps", "centre", "regress", "offsets"];

    /// <summary>
    /// Classifies outputs by <paramref name="names"/> and <paramref name="shapes"/> (one per output, in the model's order; a
    /// dimension below 1 is unknown, a null shape is undeclared). Anything else is a <see cref="PoseTrackException"/> naming
    /// the shapes.
    /// </summary>
    public static PoseOutputClass Classify(IReadOnlyList<string> names, IReadOnlyList<int[]?> shapes)
    {
        if (names.Count != shapes.Count) throw new ArgumentException("one name per shape", nameof(shapes));
        if (shapes.Any(s => s is null))
            throw new PoseTrackException($"cannot choose a decoder: an output has no declared shape ({Describe(names, shapes)})");
        static bool IsKeypoints(int[] d) => d.Length == 4 && d[1] == 1 && d[3] == 3 && d[2] > 0;

        if (shapes.Count == 1 && shapes[0]!.Length == 4)
        {
            var d = shapes[0]!;
            if (IsKeypoints(d)) return new(PoseOutputKind.MoveNet, d[2]);
            // A last dimension of 3 is MoveNet's (y, x, score), not a heatmap width.
            if (d[1] > 0 && d[3] != 3) return new(PoseOutputKind.Heatmap, d[1]);
        }
        if (shapes.Count == 5 && MoveNetHeadNames.All(names.Contains) && shapes.All(s => s!.Length == 4)
            && Enumerable.Range(0, 5).Where(i => !MoveNetHeadNames.Contains(names[i])).ToList() is [var kp] && IsKeypoints(shapes[kp]!))
            return new(PoseOutputKind.MoveNetHeads, shapes[kp]![2]);
        if (shapes.Count == 2 && shapes.All(s => s!.Length == 3) && shapes[0]![1] > 0 && shapes[1]![1] == shapes[0]![1])
            return new(PoseOutputKind.Simcc, shapes[0]![1]);
        throw new PoseTrackException($"cannot choose a decoder from the outputs {Describe(names, shapes)}: expected one [N,1,K,3] (MoveNet), one [N,K,H,W] (heatmaps) or two [N,K,L] (SimCC)");
    }

    /// <summary>Index of the output named <paramref name="name"/>, or -1.</summary>
    internal static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++) if (names[i] == name) return i;
        return -1;
    }

    private static string Describe(IReadOnlyList<string> names, IReadOnlyList<int[]?> shapes) =>
        string.Join(", ", names.Select((n, i) => $"{n} [{(shapes[i] is { } s ? string.Join("x", s.Select(d => d > 0 ? d.ToString() : "?")) : "unknown")}]"));
}
