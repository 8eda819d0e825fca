using PoseTrack.Core;

namespace PoseTrack.Tests.Pose;

public sealed class OksTests
{
    [Fact]
    public void MatchesAHandComputedValue()
    {
        // Two counted joints: nose (σ .026) off by (3,4) → d² 25; left eye (σ .025) exact. Area 10000.
        // e_nose = 25 / (2·.026)² / 10000 / 2 = 25 / 0.002704 / 20000 = 0.462278…  → exp(-e) = 0.629839…
        var gt = new Keypoint[17]; var pred = new Keypoint[17];
        gt[0] = new(100, 100, 2); pred[0] = new(103, 104, 1);
        gt[1] = new(110, 95, 2); pred[1] = new(110, 95, 1);
        float oks = Oks.Compute(pred, gt, 10000, Skeleton.Coco17.Sigmas, float.NegativeInfinity, 0.5f);
        double expected = (Math.Exp(-25 / (0.052 * 0.052) / 10000 / 2) + 1) / 2;
        Assert.Equal(expected, oks, 5);
        Assert.Equal(0.814919, oks, 5);
    }

    [Fact]
    public void NoCountedJoint_IsNaN() =>
        Assert.True(float.IsNaN(Oks.Compute(new Keypoint[17], new Keypoint[17], 100, Skeleton.Coco17.Sigmas, 0.3f, 0.3f)));
}
