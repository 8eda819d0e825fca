namespace PoseTrack.Core;

/// <summary>Object keypoint similarity (COCO definition).</summary>
public static class Oks
{
    /// <summary>
    /// OKS of <paramref name="pred"/> against <paramref name="reference"/>: the mean, over joints whose scores clear
    /// both minimums, of exp(-d² / (2σ)² / area / 2). Returns NaN when no joint counts.
    /// For COCO evaluation pass the GT visibility as the reference score and <c>refMinScore</c> 0.5 (v &gt; 0),
    /// <c>predMinScore</c> <see cref="float.NegativeInfinity"/>.
    /// </summary>
    public static float Compute(ReadOnlySpan<Keypoint> pred, ReadOnlySpan<Keypoint> reference, float area,
        IReadOnlyList<float> sigmas, float predMinScore, float refMinScore)
    {
        double sum = 0; int n = 0;
        double a = Math.Max(area, 1e-6);
        int count = Math.Min(pred.Length, reference.Length);
        for (int j = 0; j < count; j++)
        {
            if (pred[j].Score < predMinScore || reference[j].Score < refMinScore) continue;
            double dx = pred[j].X - reference[j].X, dy = pred[j].Y - reference[j].Y;
            double var = 2.0 * sigmas[j];
            sum += Math.Exp(-(dx * dx + dy * dy) / (var * var) / a / 2.0);
            n++;
        }
        return n == 0 ? float.NaN : (float)(sum / n);
    }

    /// <summary>Number of joints whose scores clear both minimums.</summary>
    public static int SharedJoints(ReadOnlySpan<Keypoint> a, ReadOnlySpan<Keypoint> b, float minScore)
    {
        int n = 0, count = Math.Min(a.Length, b.Length);
        for (int j = 0; j < count; j++) if (a[j].Score >= minScore && b[j].Score >= minScore) n++;
        return n;
    }
}
