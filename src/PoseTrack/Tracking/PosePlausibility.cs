using PoseTrack.Core;

namespace PoseTrack.Tracking;

/// <summary>
/// Is a detected person plausible enough to start a track? Checks the pose against its box with the
/// <c>Plausible*</c> thresholds of <see cref="TrackerOptions"/>: enough confident joints, those joints inside the box
/// and spanning a fair part of its height, and (COCO-17) no limb longer than a person's limb can be for that box.
/// Static look-alikes (furniture, a head at the frame edge) fail it; a person who fails may still continue a track.
/// </summary>
internal static class PosePlausibility
{
    // COCO-17 limbs whose length is checked: upper arms, forearms, thighs, shins.
    private static readonly (int A, int B)[] CocoLimbs = [(5, 7), (7, 9), (6, 8), (8, 10), (11, 13), (13, 15), (12, 14), (14, 16)];

    /// <summary>True when <paramref name="person"/> passes every check of <paramref name="o"/>.</summary>
    public static bool IsPlausible(Person person, TrackerOptions o)
    {
        ArgumentNullException.ThrowIfNull(person);
        ArgumentNullException.ThrowIfNull(o);
        if (o.PlausibleMinJoints == 0) return true;
        var kp = person.Keypoints ?? [];
        var box = person.Box;
        float marginX = 0.1f * box.Width, marginY = 0.1f * box.Height;
        int confident = 0, inside = 0;
        float top = float.PositiveInfinity, bottom = float.NegativeInfinity;
        foreach (var k in kp)
        {
            if (!(k.Score >= o.KeypointScoreThreshold)) continue;
            confident++;
            if (k.X >= box.X - marginX && k.X <= box.Right + marginX && k.Y >= box.Y - marginY && k.Y <= box.Bottom + marginY) inside++;
            top = Math.Min(top, k.Y);
            bottom = Math.Max(bottom, k.Y);
        }
        if (confident < o.PlausibleMinJoints) return false;
        if (inside < o.PlausibleMinInBox * confident) return false;
        if (!(box.Height > 0) || bottom - top < o.PlausibleMinExtent * box.Height) return false;
        if (ReferenceEquals(person.Skeleton, Skeleton.Coco17) && kp.Length == 17)
        {
            float maxLimb = o.PlausibleMaxLimb * Math.Max(box.Width, box.Height);
            foreach (var (a, b) in CocoLimbs)
            {
                if (!(kp[a].Score >= o.KeypointScoreThreshold && kp[b].Score >= o.KeypointScoreThreshold)) continue;
                float dx = kp[a].X - kp[b].X, dy = kp[a].Y - kp[b].Y;
                if (!(dx * dx + dy * dy <= maxLimb * maxLimb)) return false;
            }
        }
        return true;
    }
}
