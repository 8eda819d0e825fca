using PoseTrack.Core;

namespace PoseTrack.Pose;

/// <summary>
/// Decodes SimCC outputs (RTMPose): per joint one 1-D classification vector along x ([K,Lx]) and one along y ([K,Ly]),
/// each <c>split ratio</c> bins per input pixel. Pure functions, testable with hand-made vectors.
/// </summary>
public static class SimccDecoder
{
    /// <summary>
    /// Keypoint = (argmax x, argmax y) / split ratio, in model-input pixels; the split ratio is Lx / input width.
    /// The score is the mean of the two peaks (the vectors are not normalised).
    /// </summary>
    public static void Decode(ReadOnlySpan<float> simccX, ReadOnlySpan<float> simccY, int joints, int lengthX, int lengthY,
        int inputWidth, int inputHeight, Span<Keypoint> result)
    {
        float ratioX = (float)lengthX / inputWidth, ratioY = (float)lengthY / inputHeight;
        for (int k = 0; k < joints; k++)
        {
            var (ix, vx) = ArgMax(simccX.Slice(k * lengthX, lengthX));
            var (iy, vy) = ArgMax(simccY.Slice(k * lengthY, lengthY));
            result[k] = new Keypoint(ix / ratioX, iy / ratioY, 0.5f * (vx + vy));
        }
    }

    /// <summary>Flip-test merge for SimCC: mirror the x vectors, swap left/right joints, average in place.</summary>
    public static void MergeFlipped(Span<float> simccX, Span<float> simccY, ReadOnlySpan<float> flippedX, ReadOnlySpan<float> flippedY,
        int joints, int lengthX, int lengthY, Skeleton skeleton)
    {
        for (int k = 0; k < joints; k++)
        {
            int f = skeleton.FlipIndex(k);
            var dx = simccX.Slice(k * lengthX, lengthX); var sxv = flippedX.Slice(f * lengthX, lengthX);
            for (int i = 0; i < lengthX; i++) dx[i] = 0.5f * (dx[i] + sxv[lengthX - 1 - i]);
            var dy = simccY.Slice(k * lengthY, lengthY); var syv = flippedY.Slice(f * lengthY, lengthY);
            for (int i = 0; i < lengthY; i++) dy[i] = 0.5f * (dy[i] + syv[i]);
        }
    }

    private static (int Index, float Value) ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0; float peak = v[0];
        for (int i = 1; i < v.Length; i++) if (v[i] > peak) { peak = v[i]; best = i; }
        return (best, peak);
    }
}
