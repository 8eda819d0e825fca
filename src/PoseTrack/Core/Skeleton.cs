namespace PoseTrack.Core;

/// <summary>Which side of the body a joint or limb is on; used for left/right colours and flip pairs.</summary>
public enum BodySide
{
    /// <summary>On the body's midline (nose, pelvis) or a limb joining both sides.</summary>
    Centre,
    /// <summary>The person's left side.</summary>
    Left,
    /// <summary>The person's right side.</summary>
    Right,
}

/// <summary>
/// A keypoint layout: joint names, left/right flip pairs, limbs to draw, and per-joint OKS sigmas.
/// </summary>
public sealed class Skeleton
{
    /// <summary>Short id ("coco17", "mpii16").</summary>
    public string Name { get; }
    /// <summary>Joint names in model channel order.</summary>
    public IReadOnlyList<string> JointNames { get; }
    /// <summary>Pairs of joint indices swapped by a horizontal flip.</summary>
    public IReadOnlyList<(int Left, int Right)> FlipPairs { get; }
    /// <summary>Limbs as joint index pairs.</summary>
    public IReadOnlyList<(int A, int B)> Limbs { get; }
    /// <summary>Per-joint OKS sigmas (COCO definition).</summary>
    public IReadOnlyList<float> Sigmas { get; }
    /// <summary>Number of joints.</summary>
    public int Count => JointNames.Count;

    private readonly int[] _flipIndex;

    private Skeleton(string name, string[] joints, (int, int)[] flip, (int, int)[] limbs, float[] sigmas)
    {
        Name = name; JointNames = joints; FlipPairs = flip; Limbs = limbs; Sigmas = sigmas;
        _flipIndex = Enumerable.Range(0, joints.Length).ToArray();
        foreach (var (l, r) in flip) { _flipIndex[l] = r; _flipIndex[r] = l; }
    }

    /// <summary>The joint that takes joint <paramref name="joint"/>'s place after a horizontal flip.</summary>
    public int FlipIndex(int joint) => _flipIndex[joint];

    /// <summary>Side of a joint, from its name.</summary>
    public BodySide SideOf(int joint)
    {
        var n = JointNames[joint];
        return n.StartsWith("left", StringComparison.Ordinal) || n.StartsWith("l_", StringComparison.Ordinal) ? BodySide.Left
             : n.StartsWith("right", StringComparison.Ordinal) || n.StartsWith("r_", StringComparison.Ordinal) ? BodySide.Right
             : BodySide.Centre;
    }

    /// <summary>Side of a limb: left/right only when both ends are on that side.</summary>
    public BodySide SideOf((int A, int B) limb)
    {
        var a = SideOf(limb.A); var b = SideOf(limb.B);
        return a == b ? a : BodySide.Centre;
    }

    /// <summary>COCO person keypoints (17 joints).</summary>
    public static Skeleton Coco17 { get; } = new(
        "coco17",
        ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
         "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
         "left_knee", "right_knee", "left_ankle", "right_ankle"],
        [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)],
        [(15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7), (6, 8),
         (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6)],
        [.026f, .025f, .025f, .035f, .035f, .079f, .079f, .072f, .072f, .062f, .062f, .107f, .107f, .087f, .087f, .089f, .089f]);

    /// <summary>MPII human pose (16 joints). Sigmas follow the COCO values of the matching joints
    /// (pelvis/thorax/neck/head-top take the hip/shoulder/nose-like values used by common MPII OKS tables).</summary>
    public static Skeleton Mpii16 { get; } = new(
        "mpii16",
        ["r_ankle", "r_knee", "r_hip", "l_hip", "l_knee", "l_ankle", "pelvis", "thorax",
         "upper_neck", "head_top", "r_wrist", "r_elbow", "r_shoulder", "l_shoulder", "l_elbow", "l_wrist"],
        [(5, 0), (4, 1), (3, 2), (15, 10), (14, 11), (13, 12)],
        [(0, 1), (1, 2), (2, 6), (6, 3), (3, 4), (4, 5), (6, 7), (7, 8), (8, 9), (10, 11), (11, 12),
         (12, 7), (7, 13), (13, 14), (14, 15)],
        [.089f, .087f, .107f, .107f, .087f, .089f, .107f, .079f, .079f, .026f, .062f, .072f, .079f, .079f, .072f, .062f]);

    /// <summary>The skeleton with the given joint count (17 → COCO, 16 → MPII), or null.</summary>
    public static Skeleton? ForJointCount(int k) => k switch { 17 => Coco17, 16 => Mpii16, _ => null };

    /// <summary>The skeleton with the given name, or null.</summary>
    public static Skeleton? ByName(string name) => name.ToLowerInvariant() switch
    {
        "coco17" or "coco" => Coco17,
        "mpii16" or "mpii" => Mpii16,
        _ => null,
    };

    /// <inheritdoc />
    public override string ToString() => Name;
}
