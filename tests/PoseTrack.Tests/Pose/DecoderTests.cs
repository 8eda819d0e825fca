using PoseTrack.Core;
using PoseTrack.Pose;

namespace PoseTrack.Tests.Pose;

public sealed class DecoderTests
{
    private const int H = 64, W = 48;

    /// <summary>A Gaussian blob centred at a sub-pixel position, as a trained heatmap looks.</summary>
    private static float[] Blob(int joints, Func<int, (double X, double Y)> centre, double sigma = 2.0, float peak = 1f)
    {
        var maps = new float[joints * H * W];
        for (int k = 0; k < joints; k++)
        {
            var (cx, cy) = centre(k);
            for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                maps[k * H * W + y * W + x] = peak * (float)Math.Exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * sigma * sigma));
        }
        return maps;
    }

    private static Keypoint[] DecodeOne(float[] maps, int joints = 1, bool dark = false)
    {
        var kps = new Keypoint[joints];
        HeatmapDecoder.Decode(maps, joints, H, W, 192, 256, kps, dark);
        return kps;
    }

    [Fact]
    public void Peak_OnAPixel_DecodesToThatPixelTimesStride()
    {
        var kp = DecodeOne(Blob(1, _ => (20, 30)))[0];
        Assert.Equal(80f, kp.X, 3);   // 20 * 192/48
        Assert.Equal(120f, kp.Y, 3);  // 30 * 256/64
        Assert.Equal(1f, kp.Score, 3);
    }

    [Theory]
    [InlineData(20.3, 30.0, 20.25, 30.0)]   // right neighbour higher → +¼ in x, y neighbours equal → no shift
    [InlineData(20.0, 29.7, 20.0, 29.75)]   // upper neighbour higher → -¼ in y
    [InlineData(19.6, 30.4, 19.75, 30.25)]  // argmax at 20,30: left and lower neighbours higher
    public void QuarterPixelShift_GoesTowardTheHigherNeighbour(double cx, double cy, double ex, double ey)
    {
        var kp = DecodeOne(Blob(1, _ => (cx, cy)))[0];
        Assert.Equal((float)(ex * 4), kp.X, 3);
        Assert.Equal((float)(ey * 4), kp.Y, 3);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(W - 1, 10)]
    [InlineData(10, 0)]
    [InlineData(10, H - 1)]
    public void PeaksOnTheBorder_AreNotShiftedOutward(int px, int py)
    {
        var maps = new float[H * W];
        maps[py * W + px] = 0.9f;
        if (px + 1 < W) maps[py * W + px + 1] = 0.5f;
        if (px - 1 >= 0) maps[py * W + px - 1] = 0.5f;
        var kp = DecodeOne(maps)[0];
        Assert.Equal(px * 4f, kp.X, 3);
        Assert.Equal(py * 4f, kp.Y, 3);
        Assert.Equal(0.9f, kp.Score, 5);
    }

    [Fact]
    public void EachJointDecodesItsOwnChannel()
    {
        var kps = DecodeOne(Blob(17, k => (5 + 2 * k, 3 + 3 * k)), 17);
        for (int k = 0; k < 17; k++)
        {
            Assert.Equal((5 + 2 * k) * 4f, kps[k].X, 3);
            Assert.Equal((3 + 3 * k) * 4f, kps[k].Y, 3);
        }
    }

    [Fact]
    public void Dark_RecoversASubPixelCentre_BetterThanTheQuarterRule()
    {
        const double cx = 20.4, cy = 30.15;
        var maps = Blob(1, _ => (cx, cy));
        var quarter = DecodeOne(maps)[0];
        var dark = DecodeOne(maps, dark: true)[0];
        double ErrOf(Keypoint k) => Math.Abs(k.X / 4 - cx) + Math.Abs(k.Y / 4 - cy);
        Assert.True(ErrOf(dark) < 0.1, $"DARK error {ErrOf(dark):F3}");
        Assert.True(ErrOf(dark) < ErrOf(quarter));
    }

    [Fact]
    public void FlipMerge_OfAMirroredMap_PutsThePeakBackOnTheSameJointAndColumn()
    {
        // Original: left shoulder (5) at column 10. The mirrored crop shows it as the right shoulder (6) at column W-1-10,
        // one pixel off as the Simple Baselines flip shift expects.
        // The two views differ in strength, so a merge that did nothing (or forgot to mirror or swap) would show.
        var original = new float[17 * H * W];
        var flipped = new float[17 * H * W];
        original[5 * H * W + 20 * W + 10] = 0.6f;
        flipped[6 * H * W + 20 * W + (W - 1 - 9)] = 1f;
        // A peak only the mirrored view has: the left wrist (9) at column 30, seen as the right wrist (10).
        flipped[10 * H * W + 40 * W + (W - 1 - 29)] = 0.8f;
        HeatmapDecoder.MergeFlipped(original, flipped, 17, H, W, Skeleton.Coco17);
        Assert.Equal(0.8f, original[5 * H * W + 20 * W + 10], 5);    // (0.6 + 1.0) / 2
        Assert.Equal(0.4f, original[9 * H * W + 40 * W + 30], 5);    // (0 + 0.8) / 2, on the left wrist's own channel
        Assert.Equal(0f, original[6 * H * W + 20 * W + 10], 5);      // nothing leaks into the other side's channel
        var kp = DecodeOne(original.AsSpan(5 * H * W, H * W).ToArray())[0];
        Assert.Equal(40f, kp.X, 3);
    }

    [Fact]
    public void Simcc_ArgmaxDividedBySplitRatio()
    {
        const int K = 2, Lx = 384, Ly = 512;
        var sx = new float[K * Lx]; var sy = new float[K * Ly];
        sx[0 * Lx + 100] = 0.8f; sy[0 * Ly + 301] = 0.6f;
        sx[1 * Lx + 383] = 0.9f; sy[1 * Ly + 0] = 0.7f;
        var kps = new Keypoint[K];
        SimccDecoder.Decode(sx, sy, K, Lx, Ly, 192, 256, kps);
        Assert.Equal(50f, kps[0].X, 4); Assert.Equal(150.5f, kps[0].Y, 4); Assert.Equal(0.7f, kps[0].Score, 4);
        Assert.Equal(191.5f, kps[1].X, 4); Assert.Equal(0f, kps[1].Y, 4);
    }
}
