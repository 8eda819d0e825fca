using PoseTrack.Core;

namespace PoseTrack.Pose;

/// <summary>
/// How a MoveNet crop that shows several people is decoded. MoveNet is a single-pose model with bottom-up heads: it
/// finds every person's centre in the crop and keeps one. <see cref="Model"/> is its own choice; the others use the
/// detector box the crop was made from, and need a model imported with its heads exposed
/// (<c>posetrack models import --movenet-heads</c>). Measured in README (MoveNet decoding): none beats
/// <see cref="Model"/> overall, so it is the default.
/// </summary>
public enum MoveNetCentrePrior
{
    /// <summary>
    /// MoveNet's own rule, as its graph does it: the person-centre heatmap weighted by 1 / (distance to the crop centre
    /// in cells + 1.8), then each joint searched near where the regression head puts it.
    /// </summary>
    Model,

    /// <summary>
    /// The person-centre heatmap weighted by a Gaussian around the crop centre with σ = half the detector box's width
    /// and height (so a neighbour inside the same crop loses to the person the detector boxed), then MoveNet's joint search.
    /// </summary>
    Box,

    /// <summary>
    /// No person centre at all: each joint is the peak of its heatmap weighted by the same box Gaussian, refined by the
    /// offset head — the way a top-down heatmap model is decoded.
    /// </summary>
    JointsInBox,
}

/// <summary>
/// Decodes MoveNet single-pose's four heads (person-centre heatmap, joint heatmaps, centre-to-joint regression, sub-cell
/// offsets; all NHWC on one H×W grid) into keypoints, with a choice of <see cref="MoveNetCentrePrior"/>. With
/// <see cref="MoveNetCentrePrior.Model"/> it reproduces the graph's own post-processing. A pure function.
/// </summary>
public static class MoveNetHeadsDecoder
{
    /// <summary>MoveNet's distance bias: a map is divided by (distance in cells + this).</summary>
    public const float DistanceBias = 1.8f;

    /// <summary>σ of the box priors as a fraction of the box's width and height.</summary>
    public const float BoxSigma = 0.5f;

    /// <summary>
    /// Decodes one crop. <paramref name="centre"/> is [H,W] (one channel), <paramref name="heatmaps"/> [H,W,K],
    /// <paramref name="regress"/> and <paramref name="offsets"/> [H,W,2K] with y before x per joint. Keypoints come back
    /// in model-input pixels (grid position / grid size × input size) with the joint heatmap value at the chosen cell as
    /// score. <paramref name="boxWidth"/> and <paramref name="boxHeight"/> are the person box's size in grid cells, centred
    /// in the crop (used by the box priors).
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short for the grid and joint count.</exception>
    public static void Decode(
        ReadOnlySpan<float> centre, ReadOnlySpan<float> heatmaps, ReadOnlySpan<float> regress, ReadOnlySpan<float> offsets,
        int gridH, int gridW, int joints, int inputWidth, int inputHeight,
        MoveNetCentrePrior prior, float boxWidth, float boxHeight, Span<Keypoint> result)
    {
        int cells = gridH * gridW;
        if (centre.Length < cells || heatmaps.Length < cells * joints || regress.Length < cells * 2 * joints
            || offsets.Length < cells * 2 * joints || result.Length < joints)
            throw new ArgumentException($"MoveNet heads do not fit a {gridH}x{gridW} grid with {joints} joints");

        // MoveNet's graph measures distances from cell (H/2, W/2): cell i stands for position i / H of the crop.
        float y0 = gridH / 2, x0 = gridW / 2;
        float sx = Math.Max(BoxSigma * boxWidth, 1f), sy = Math.Max(BoxSigma * boxHeight, 1f);
        // The prior over cells, computed once per crop: MoveNet's 1 / (distance + bias) or the box Gaussian.
        Span<float> weight = cells <= 8192 ? stackalloc float[cells] : new float[cells];
        for (int y = 0; y < gridH; y++)
            for (int x = 0; x < gridW; x++)
            {
                float dy = y - y0, dx = x - x0;
                weight[y * gridW + x] = prior == MoveNetCentrePrior.Model
                    ? 1f / (MathF.Sqrt(dx * dx + dy * dy) + DistanceBias)
                    : MathF.Exp(-0.5f * (dx * dx / (sx * sx) + dy * dy / (sy * sy)));
            }

        int best = 0;
        if (prior != MoveNetCentrePrior.JointsInBox)
        {
            float bestScore = float.NegativeInfinity;
            for (int i = 0; i < cells; i++)
            {
                float s = centre[i] * weight[i];
                if (s > bestScore) { bestScore = s; best = i; }   // the first maximum, as ArgMax
            }
        }
        int cy = best / gridW, cx = best % gridW;

        for (int k = 0; k < joints; k++)
        {
            int bestCell = 0;
            float bestScore = float.NegativeInfinity;
            if (prior == MoveNetCentrePrior.JointsInBox)
            {
                for (int i = 0; i < cells; i++)
                {
                    float s = heatmaps[i * joints + k] * weight[i];
                    if (s > bestScore) { bestScore = s; bestCell = i; }
                }
            }
            else
            {
                // The regression head says where joint k of the person at (cy, cx) is; the joint heatmap is then searched
                // near that guess (divided by distance + bias), so a neighbour's joint only wins when it is much stronger.
                float ry = cy + regress[best * 2 * joints + 2 * k];
                float rx = cx + regress[best * 2 * joints + 2 * k + 1];
                for (int y = 0; y < gridH; y++)
                    for (int x = 0; x < gridW; x++)
                    {
                        float dy = y - ry, dx = x - rx;
                        float s = heatmaps[(y * gridW + x) * joints + k] / (MathF.Sqrt(dy * dy + dx * dx) + DistanceBias);
                        if (s > bestScore) { bestScore = s; bestCell = y * gridW + x; }
                    }
            }
            int ky = bestCell / gridW, kx = bestCell % gridW;
            float py = ky + offsets[bestCell * 2 * joints + 2 * k];
            float px = kx + offsets[bestCell * 2 * joints + 2 * k + 1];
            result[k] = new Keypoint(px / gridW * inputWidth, py / gridH * inputHeight, heatmaps[bestCell * joints + k]);
        }
    }
}
