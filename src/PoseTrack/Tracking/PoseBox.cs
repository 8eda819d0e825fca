using PoseTrack.Core;

namespace PoseTrack.Tracking;

/// <summary>Boxes derived from poses, for frames where the detector is not run.</summary>
internal static class PoseBox
{
    /// <summary>Default enlargement: Simple Baselines crops around a pose's extent grown by 25%.</summary>
    public const float DefaultEnlarge = 1.25f;

    /// <summary>
    /// The box around the keypoints scoring at least <paramref name="minScore"/>, grown about its centre by
    /// <paramref name="enlarge"/> in width and height (so the next frame's crop still holds a person who moved).
    /// Returns null when fewer than two keypoints qualify, or when they all lie on one spot (no size to grow).
    /// Non-finite coordinates are ignored. The box is not clipped to the image; use <see cref="BoxF.ClipTo"/>.
    /// </summary>
    public static BoxF? FromKeypoints(ReadOnlySpan<Keypoint> keypoints, float minScore, float enlarge = DefaultEnlarge)
    {
        if (!(enlarge > 0) || float.IsInfinity(enlarge))
            throw new ArgumentOutOfRangeException(nameof(enlarge), enlarge, "Must be a positive number.");
        float x1 = float.MaxValue, y1 = float.MaxValue, x2 = float.MinValue, y2 = float.MinValue;
        int n = 0;
        foreach (var k in keypoints)
        {
            if (!(k.Score >= minScore) || !float.IsFinite(k.X) || !float.IsFinite(k.Y)) continue;
            x1 = Math.Min(x1, k.X); y1 = Math.Min(y1, k.Y);
            x2 = Math.Max(x2, k.X); y2 = Math.Max(y2, k.Y);
            n++;
        }
        if (n < 2 || (x2 - x1 <= 0 && y2 - y1 <= 0)) return null;
        float w = (x2 - x1) * enlarge, h = (y2 - y1) * enlarge;
        float cx = (x1 + x2) * 0.5f, cy = (y1 + y2) * 0.5f;
        return new BoxF(cx - w * 0.5f, cy - h * 0.5f, w, h);
    }
}
