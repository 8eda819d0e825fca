using PoseTrack.Core;
using PoseTrack.Pose;

namespace PoseTrack.Tests.Pose;

/// <summary>
/// <see cref="MoveNetHeadsDecoder"/> on hand-made heads: a 16×16 grid, 2 joints, two people in the crop — one at the
/// crop centre with a weak centre peak, one off-centre with a strong one.
/// </summary>
public sealed class MoveNetHeadsDecoderTests
{
    private const int G = 16, K = 2, In = 64;   // grid, joints, model input size (4 px per cell)

    private sealed class Heads
    {
        public readonly float[] Centre = new float[G * G];
        public readonly float[] Heatmaps = new float[G * G * K];
        public readonly float[] Regress = new float[G * G * 2 * K];
        public readonly float[] Offsets = new float[G * G * 2 * K];

        public void Person(int cy, int cx, float centreScore, (int Y, int X, float Score)[] joints)
        {
            Centre[cy * G + cx] = centreScore;
            for (int k = 0; k < K; k++)
            {
                var (y, x, s) = joints[k];
                Regress[(cy * G + cx) * 2 * K + 2 * k] = y - cy;        // exact displacement to the joint cell
                Regress[(cy * G + cx) * 2 * K + 2 * k + 1] = x - cx;
                Heatmaps[(y * G + x) * K + k] = s;
                Offsets[(y * G + x) * 2 * K + 2 * k] = 0.25f;           // joints sit a quarter cell down-right of the cell
                Offsets[(y * G + x) * 2 * K + 2 * k + 1] = 0.25f;
            }
        }

        public Keypoint[] Decode(MoveNetCentrePrior prior, float boxW = 4, float boxH = 8)
        {
            var kps = new Keypoint[K];
            MoveNetHeadsDecoder.Decode(Centre, Heatmaps, Regress, Offsets, G, G, K, In, In, prior, boxW, boxH, kps);
            return kps;
        }
    }

    /// <summary>Person A at the crop centre (8,8), weak centre; person B 5 cells to the right, strong centre.</summary>
    private static Heads TwoPeople()
    {
        var h = new Heads();
        h.Person(8, 8, 0.2f, [(4, 8, 0.8f), (12, 8, 0.7f)]);
        // B's centre: 0.9 / (5 + 1.8) = 0.132 beats A's 0.2 / 1.8 = 0.111 under MoveNet's own weighting.
        h.Person(8, 13, 0.9f, [(4, 13, 0.6f), (12, 13, 0.5f)]);
        return h;
    }

    [Fact]
    public void ModelPrior_PicksTheStrongerWeightedCentre_AndAppliesRegressionAndOffsets()
    {
        var kps = TwoPeople().Decode(MoveNetCentrePrior.Model);
        // B's joints: cells (4,13) and (12,13) plus a quarter cell, times 4 px per cell.
        Assert.Equal((13.25f * 4, 4.25f * 4, 0.6f), (kps[0].X, kps[0].Y, kps[0].Score));
        Assert.Equal((13.25f * 4, 12.25f * 4, 0.5f), (kps[1].X, kps[1].Y, kps[1].Score));
    }

    [Fact]
    public void BoxPrior_PicksThePersonTheNarrowBoxIsAbout()
    {
        // A box 4 cells wide (σx = 2): B, 5 cells off, weighs exp(-3.125) = 0.044 → 0.04 < A's 0.2.
        var kps = TwoPeople().Decode(MoveNetCentrePrior.Box, boxW: 4);
        Assert.Equal((8.25f * 4, 4.25f * 4, 0.8f), (kps[0].X, kps[0].Y, kps[0].Score));
        Assert.Equal((8.25f * 4, 12.25f * 4, 0.7f), (kps[1].X, kps[1].Y, kps[1].Score));
    }

    [Fact]
    public void BoxPrior_WithAWideBox_StillFollowsTheStrongCentre()
    {
        // A box as wide as the crop (σx = 8): B weighs exp(-0.195) = 0.82 → 0.74 > 0.2, as MoveNet's own rule.
        var kps = TwoPeople().Decode(MoveNetCentrePrior.Box, boxW: 16, boxH: 16);
        Assert.Equal(13.25f * 4, kps[0].X);
    }

    [Fact]
    public void JointsInBox_IgnoresTheCentreHead()
    {
        var h = TwoPeople();
        Array.Clear(h.Centre);   // no centre at all: a centre-based decode would start from cell 0
        var kps = h.Decode(MoveNetCentrePrior.JointsInBox, boxW: 4);
        Assert.Equal((8.25f * 4, 4.25f * 4), (kps[0].X, kps[0].Y));
        Assert.Equal((8.25f * 4, 12.25f * 4), (kps[1].X, kps[1].Y));
    }

    [Fact]
    public void JointSearch_PrefersTheJointNearTheRegressedGuess()
    {
        // MoveNet's joint stage: a stronger joint far from where the regression points loses to a weaker one nearby.
        var h = new Heads();
        h.Person(8, 8, 1f, [(4, 8, 0.3f), (12, 8, 0.3f)]);
        h.Heatmaps[(4 * G + 15) * K + 0] = 0.9f;   // 7 cells away: 0.9 / 8.8 = 0.10 < 0.3 / 1.8 = 0.17
        var kps = h.Decode(MoveNetCentrePrior.Model);
        Assert.Equal(8.25f * 4, kps[0].X);
    }

    [Fact]
    public void ShortSpans_AreRejected()
    {
        var h = new Heads();
        Assert.Throws<ArgumentException>(() =>
            MoveNetHeadsDecoder.Decode(h.Centre, h.Heatmaps.AsSpan(1), h.Regress, h.Offsets, G, G, K, In, In, MoveNetCentrePrior.Model, 4, 8, new Keypoint[K]));
    }
}
