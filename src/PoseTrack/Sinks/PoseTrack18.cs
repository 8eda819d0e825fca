using System.Globalization;
using System.Text.RegularExpressions;
using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>
/// The PoseTrack18 layout the official evaluator (poseval) reads: its 17 keypoints in its order, its skeleton, and its
/// ids. A model's joints are mapped by name (MPII's <c>l_</c>/<c>r_</c> as <c>left_</c>/<c>right_</c>,
/// <c>upper_neck</c> as <c>head_bottom</c>). COCO models have no <c>head_bottom</c> or <c>head_top</c>; they are
/// filled by <see cref="HeadRule"/> from the nose and the shoulders. A joint the model has no source for is written
/// unannotated: <c>0, 0, 0</c> with score 0.
/// </summary>
internal static partial class PoseTrack18
{
    /// <summary>PoseTrack18's keypoint names, in its order (COCO's with the eyes replaced by head_bottom/head_top).</summary>
    public static IReadOnlyList<string> JointNames { get; } =
    [
        "nose", "head_bottom", "head_top", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
        "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
        "left_knee", "right_knee", "left_ankle", "right_ankle",
    ];

    /// <summary>PoseTrack18's skeleton, 1-based joint indices as in its annotation files.</summary>
    public static IReadOnlyList<int[]> Limbs { get; } =
    [
        [16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8], [7, 9],
        [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7],
    ];

    /// <summary>
    /// How head_bottom and head_top are made from a COCO pose, along the line from the shoulders' midpoint S to the
    /// nose N: head_bottom = N + <see cref="HeadBottomFromNose"/>·(S − N) (the upper neck, below the chin) and
    /// head_top = N − <see cref="HeadTopFromNose"/>·(S − N) (the crown). The fractions are the proportions of an
    /// upright adult head (nose to shoulder line about 0.9 head heights, chin 0.35 of that below the nose, crown 0.65
    /// above it); the score of both is the lowest of the three joints used, so a guess from an unsure nose or
    /// shoulder is unsure too. An approximation: poseval's head tolerance is half the head size.
    /// </summary>
    public const string HeadRule = "head_bottom = nose + 0.35 (shoulder midpoint - nose); head_top = nose - 0.65 (shoulder midpoint - nose); score = least of nose and shoulders";

    /// <summary>Fraction of the nose → shoulder-midpoint line from the nose to head_bottom.</summary>
    public const double HeadBottomFromNose = 0.35;
    /// <summary>Fraction of the nose → shoulder-midpoint line from the nose back up to head_top.</summary>
    public const double HeadTopFromNose = 0.65;

    /// <summary>
    /// For each PoseTrack18 joint, the model joint it is copied from (≥ 0), or -1 when there is none (head_bottom and
    /// head_top of a COCO model are then made by <see cref="HeadRule"/> when <paramref name="modelJoints"/> has a nose
    /// and both shoulders).
    /// </summary>
    public static int[] SourceJoints(IReadOnlyList<string> modelJoints)
    {
        ArgumentNullException.ThrowIfNull(modelJoints);
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < modelJoints.Count; i++) byName.TryAdd(CanonicalName(modelJoints[i]), i);
        return [.. JointNames.Select(n => byName.TryGetValue(n, out var i) ? i : -1)];
    }

    private static string CanonicalName(string name) => name switch
    {
        "upper_neck" or "neck" => "head_bottom",
        _ when name.StartsWith("l_", StringComparison.Ordinal) => "left_" + name[2..],
        _ when name.StartsWith("r_", StringComparison.Ordinal) => "right_" + name[2..],
        _ => name,
    };

    /// <summary>
    /// A person's keypoints (as rounded for the logs: <c>[x, y, score]</c> per model joint, null where not finite) in
    /// PoseTrack18 order: the flat <c>x, y, score, …</c> list and the per-keypoint <c>scores</c>. Derived joints are
    /// computed from the rounded values and rounded the same way, so a finished log converts to exactly what the
    /// live run wrote.
    /// </summary>
    internal static (double?[] Flat, double?[] Scores) Keypoints(int[] sources, double?[][] kps)
    {
        const int c = JsonNumbers.CoordinateDecimals, s = JsonNumbers.ScoreDecimals;
        var flat = new double?[3 * JointNames.Count];
        var scores = new double?[JointNames.Count];
        for (int j = 0; j < JointNames.Count; j++)
        {
            double? x = 0, y = 0, score = 0;
            if (sources[j] >= 0 && sources[j] < kps.Length)
                (x, y, score) = (kps[sources[j]][0], kps[sources[j]][1], kps[sources[j]][2]);
            else if (j is 1 or 2 && Head(sources, kps, top: j == 2) is { } head)
                (x, y, score) = (JsonNumbers.Round(head.X, c), JsonNumbers.Round(head.Y, c), JsonNumbers.Round(head.Score, s));
            flat[3 * j] = x; flat[3 * j + 1] = y; flat[3 * j + 2] = scores[j] = score;
        }
        return (flat, scores);
    }

    // The nose and shoulders' model joints, found by SourceJoints as PoseTrack18 joints 0, 5 and 6.
    private static (double X, double Y, double Score)? Head(int[] sources, double?[][] kps, bool top)
    {
        int nose = sources[0], ls = sources[5], rs = sources[6];
        if (nose < 0 || ls < 0 || rs < 0 || Math.Max(nose, Math.Max(ls, rs)) >= kps.Length) return null;
        if (kps[nose] is not [double nx, double ny, double ns] || kps[ls] is not [double lx, double ly, double lss]
            || kps[rs] is not [double rx, double ry, double rss]) return null;
        double sx = (lx + rx) / 2, sy = (ly + ry) / 2;
        double f = top ? -HeadTopFromNose : HeadBottomFromNose;
        return (nx + f * (sx - nx), ny + f * (sy - ny), Math.Min(ns, Math.Min(lss, rss)));
    }

    /// <summary>PoseTrack18's image id: 10000000000 + video number × 10000 + frame number (e.g. 10034180000).</summary>
    public static long ImageId(long video, long frame) => 10_000_000_000L + video * 10_000L + frame;

    /// <summary>An annotation's id: its image id × 100 + its place in the frame (as the dataset numbers them).</summary>
    public static long AnnotationId(long imageId, int index) => imageId * 100 + index;

    [GeneratedRegex(@"^(\d{1,6})_")]
    internal static partial Regex SequenceFolder();

    [GeneratedRegex(@"^\d+$")]
    internal static partial Regex FrameFileStem();
}

/// <summary>
/// Which PoseTrack18 sequence a run is and how its frames are named. A PoseTrack18 image folder
/// (<c>…/images/val/003418_mpii_test/000000.jpg</c>) keeps its own video number (3418, <c>vid_id</c> "003418"), file
/// names (from <c>images/</c> on) and frame numbers (the file names' digits); any other input is video 0 with file
/// names <c>NAME/000042.jpg</c> for frame index 42.
/// </summary>
/// <param name="VideoNumber">The number in the image ids.</param>
/// <param name="VideoId">vid_id as the dataset writes it (six digits).</param>
/// <param name="Name">Folder part of the file names.</param>
/// <param name="Images">The folder's image files in reading order (frame index i is Images[i]), or null for a video.</param>
/// <param name="FrameCount">nframes: the sequence's length when known.</param>
internal sealed record PoseTrackSequence(long VideoNumber, string VideoId, string Name, IReadOnlyList<string>? Images, long? FrameCount)
{
    /// <summary>
    /// The sequence of an input: <paramref name="input"/> as given (a video path, an image folder, a URL),
    /// <paramref name="images"/> the image files of a folder input in reading order, <paramref name="frameCount"/> the
    /// source's frame count when known.
    /// </summary>
    public static PoseTrackSequence For(string input, IReadOnlyList<string>? images, long? frameCount)
    {
        ArgumentNullException.ThrowIfNull(input);
        var trimmed = input.TrimEnd('/', '\\');
        var name = images is not null ? Path.GetFileName(trimmed) : Path.GetFileNameWithoutExtension(trimmed);
        if (string.IsNullOrEmpty(name)) name = "input";
        var m = PoseTrack18.SequenceFolder().Match(name);
        if (images is not null && m.Success)
            return new(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m.Groups[1].Value.PadLeft(6, '0'), name, images, frameCount ?? images.Count);
        return new(0, "000000", name, images, frameCount);
    }

    /// <summary>The frame number and file name of frame index <paramref name="index"/>.</summary>
    public (long Frame, string FileName) FrameOf(long index)
    {
        if (Images is not null && index >= 0 && index < Images.Count)
        {
            var file = Images[(int)index];
            var stem = Path.GetFileNameWithoutExtension(file);
            long frame = VideoNumber != 0 && PoseTrack18.FrameFileStem().IsMatch(stem) && stem.Length <= 6
                ? long.Parse(stem, CultureInfo.InvariantCulture) : index;
            return (frame, DatasetPath(file));
        }
        return (index, string.Create(CultureInfo.InvariantCulture, $"{Name}/{index:D6}.jpg"));
    }

    // From the last "images" folder on, with forward slashes (the dataset's file_name); else NAME/FILE.
    private string DatasetPath(string file)
    {
        var parts = Path.GetFullPath(file).Replace('\\', '/').Split('/');
        int at = Array.LastIndexOf(parts, "images");
        return at >= 0 ? string.Join('/', parts[at..]) : $"{Name}/{Path.GetFileName(file)}";
    }
}
