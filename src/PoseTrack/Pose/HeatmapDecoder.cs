using PoseTrack.Core;

namespace PoseTrack.Pose;

/// <summary>
/// Decodes per-joint heatmaps ([K,H,W] for one person) into keypoints in model-input pixels.
/// Pure functions: no state, no model; testable with hand-made heatmaps.
/// </summary>
public static class HeatmapDecoder
{
    /// <summary>
    /// Simple Baselines decode: the argmax of each map, moved a quarter pixel toward the higher neighbour on each
    /// axis, then scaled from heatmap to input pixels by <c>input/heatmap</c> (no half-pixel term: the models were
    /// trained with this mapping). With <paramref name="dark"/> the argmax is refined by DARK's Taylor expansion
    /// on the log of a Gaussian-smoothed map instead of the quarter-pixel rule. The score is the raw peak value.
    /// </summary>
    public static void Decode(ReadOnlySpan<float> heatmaps, int joints, int height, int width,
        int inputWidth, int inputHeight, Span<Keypoint> result, bool dark = false)
    {
        int plane = height * width;
        float sx = (float)inputWidth / width, sy = (float)inputHeight / height;
        for (int k = 0; k < joints; k++)
        {
            var map = heatmaps.Slice(k * plane, plane);
            int best = 0; float peak = map[0];
            for (int i = 1; i < plane; i++) if (map[i] > peak) { peak = map[i]; best = i; }
            int px = best % width, py = best / width;
            float x = px, y = py;
            if (dark) (x, y) = DarkRefine(map, height, width, px, py);
            else
            {
                if (px > 0 && px < width - 1) x += 0.25f * Math.Sign(map[best + 1] - map[best - 1]);
                if (py > 0 && py < height - 1) y += 0.25f * Math.Sign(map[best + width] - map[best - width]);
            }
            result[k] = new Keypoint(x * sx, y * sy, peak);
        }
    }

    private const int DarkKernelRadius = 5;

    /// <summary>DARK's Gaussian smoothing kernel (σ = 2, 11×11, row-major) and the sum of its weights: constants.</summary>
    private static readonly (double[] Weights, double Sum) DarkKernel = MakeDarkKernel();

    private static (double[] Weights, double Sum) MakeDarkKernel()
    {
        const double sigma = 2.0; const int kr = DarkKernelRadius;
        var g = new double[(2 * kr + 1) * (2 * kr + 1)];
        double sum = 0;
        int i = 0;
        for (int ky = -kr; ky <= kr; ky++)
        for (int kx = -kr; kx <= kr; kx++)
        {
            g[i] = Math.Exp(-(kx * kx + ky * ky) / (2 * sigma * sigma));
            sum += g[i++];
        }
        return (g, sum);
    }

    /// <summary>DARK (Zhang et al. 2020): Gaussian-smooth around the peak, take logs, one Newton step.</summary>
    internal static (float X, float Y) DarkRefine(ReadOnlySpan<float> map, int height, int width, int px, int py)
    {
        // Near the border the 5×5 window would be clamped: keep the argmax.
        if (px <= 1 || py <= 1 || px >= width - 2 || py >= height - 2) return (px, py);
        // A 5×5 window of the smoothed log-map is all the derivatives at the peak need.
        const int r = 2, kr = DarkKernelRadius;
        var (kernel, kernelSum) = DarkKernel;
        Span<double> win = stackalloc double[(2 * r + 1) * (2 * r + 1)];
        for (int dy = -r; dy <= r; dy++)
        for (int dx = -r; dx <= r; dx++)
        {
            int cx = px + dx, cy = py + dy;
            double acc = 0;
            int i = 0;
            for (int ky = -kr; ky <= kr; ky++)
            for (int kx = -kr; kx <= kr; kx++)
            {
                int x = Math.Clamp(cx + kx, 0, width - 1), y = Math.Clamp(cy + ky, 0, height - 1);
                acc += kernel[i++] * map[y * width + x];
            }
            win[(dy + r) * (2 * r + 1) + dx + r] = Math.Log(Math.Max(acc / kernelSum, 1e-10));
        }
        ReadOnlySpan<double> w5 = win;
        static double At5(ReadOnlySpan<double> w, int dx, int dy) => w[(dy + 2) * 5 + dx + 2];
        double gx = 0.5 * (At5(w5, 1, 0) - At5(w5, -1, 0));
        double gy = 0.5 * (At5(w5, 0, 1) - At5(w5, 0, -1));
        double hxx = 0.25 * (At5(w5, 2, 0) - 2 * At5(w5, 0, 0) + At5(w5, -2, 0));
        double hyy = 0.25 * (At5(w5, 0, 2) - 2 * At5(w5, 0, 0) + At5(w5, 0, -2));
        double hxy = 0.25 * (At5(w5, 1, 1) - At5(w5, 1, -1) - At5(w5, -1, 1) + At5(w5, -1, -1));
        double det = hxx * hyy - hxy * hxy;
        if (Math.Abs(det) < 1e-12) return (px, py);
        double ox = -(hyy * gx - hxy * gy) / det;
        double oy = -(-hxy * gx + hxx * gy) / det;
        // A step beyond a pixel means the local quadratic does not fit: keep the argmax.
        if (Math.Abs(ox) > 1 || Math.Abs(oy) > 1) return (px, py);
        return ((float)(px + ox), (float)(py + oy));
    }

    /// <summary>
    /// Flip-test merge: <paramref name="flipped"/> (heatmaps of the mirrored crop) is mirrored back, its left/right
    /// channels swapped, shifted one pixel right (Simple Baselines' alignment fix for the flipped input), and averaged
    /// into <paramref name="heatmaps"/> in place.
    /// </summary>
    public static void MergeFlipped(Span<float> heatmaps, ReadOnlySpan<float> flipped, int joints, int height, int width, Skeleton skeleton)
    {
        int plane = height * width;
        for (int k = 0; k < joints; k++)
        {
            var src = flipped.Slice(skeleton.FlipIndex(k) * plane, plane);
            var dst = heatmaps.Slice(k * plane, plane);
            for (int y = 0; y < height; y++)
            {
                int row = y * width;
                for (int x = 0; x < width; x++)
                {
                    // Mirrored back column for x is width-1-x; the one-pixel shift reads column x-1 of the mirrored map.
                    int sxp = x == 0 ? 0 : x - 1;
                    float v = src[row + (width - 1 - sxp)];
                    dst[row + x] = 0.5f * (dst[row + x] + v);
                }
            }
        }
    }
}
