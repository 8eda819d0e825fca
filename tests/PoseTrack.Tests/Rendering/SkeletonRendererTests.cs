using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Rendering;
using PoseTrack.Tests.Sinks;

namespace PoseTrack.Tests.Rendering;

public sealed class SkeletonRendererTests
{
    private const int LeftWrist = 9;

    private static (Mat Original, Mat Drawn, Person Person) RenderSynthetic(int trackId = 7)
    {
        var frames = SyntheticFrames.VideoFrames(1);
        var original = frames[0];
        // Box wider than the figure so its edge is far from the low-score wrist.
        var person = SyntheticFrames.Person(320, 140, trackId, lowJoint: LeftWrist) with { Box = new BoxF(300, 120, 200, 370) };
        var drawn = original.Clone();
        new SkeletonRenderer().Draw(drawn, [person]);
        return (original, drawn, person);
    }

    private static Vec3b At(Mat m, Keypoint a, Keypoint b) => m.At<Vec3b>((int)MathF.Round((a.Y + b.Y) / 2), (int)MathF.Round((a.X + b.X) / 2));

    private static double Distance(Vec3b px, Scalar c) =>
        Math.Sqrt(Math.Pow(px.Item0 - c.Val0, 2) + Math.Pow(px.Item1 - c.Val1, 2) + Math.Pow(px.Item2 - c.Val2, 2));

    /// <summary>Sum of absolute differences in a (2r+1)² window.</summary>
    private static double DiffAround(Mat a, Mat b, float x, float y, int r)
    {
        var rect = new Rect((int)x - r, (int)y - r, 2 * r + 1, 2 * r + 1);
        using var ra = new Mat(a, rect);
        using var rb = new Mat(b, rect);
        using var d = new Mat();
        Cv2.Absdiff(ra, rb, d);
        var s = Cv2.Sum(d);
        return s.Val0 + s.Val1 + s.Val2;
    }

    [Fact]
    public void Limbs_AreDrawnInTheTrackColour_LeftLighter_RightDarker()
    {
        var (original, drawn, p) = RenderSynthetic();
        using (original) using (drawn)
        {
            var k = p.Keypoints;
            var colour = SkeletonRenderer.TrackColor(p.TrackId);
            // left shoulder–elbow, right shoulder–elbow, left–right hip (centre).
            var left = At(drawn, k[5], k[7]);
            var right = At(drawn, k[6], k[8]);
            var centre = At(drawn, k[11], k[12]);
            Assert.True(Distance(left, SkeletonRenderer.SideShade(colour, BodySide.Left)) < 60, $"left limb pixel {left}");
            Assert.True(Distance(right, SkeletonRenderer.SideShade(colour, BodySide.Right)) < 60, $"right limb pixel {right}");
            Assert.True(Distance(centre, colour) < 60, $"centre limb pixel {centre}");
            // One hue, told apart by shade: left brighter than centre brighter than right.
            Assert.True(Brightness(left) > Brightness(centre) + 40 && Brightness(centre) > Brightness(right) + 40,
                $"left {left}, centre {centre}, right {right}");
            Assert.True(DiffAround(original, drawn, (k[5].X + k[7].X) / 2, (k[5].Y + k[7].Y) / 2, 1) > 100);
            // Box edge changed too.
            Assert.True(DiffAround(original, drawn, 300, 300, 1) > 100);
        }
    }

    private static int Brightness(Vec3b px) => px.Item0 + px.Item1 + px.Item2;

    [Fact]
    public void LowScoreJoint_AndItsLimb_AreNotDrawn()
    {
        var (original, drawn, p) = RenderSynthetic();
        using (original) using (drawn)
        {
            var wrist = p.Keypoints[LeftWrist];
            var elbow = p.Keypoints[7];
            Assert.Equal(0, DiffAround(original, drawn, wrist.X, wrist.Y, 4));
            // Midpoint of elbow–wrist: the limb is skipped, so untouched (the elbow's own dot is 20 px away).
            Assert.Equal(0, DiffAround(original, drawn, (wrist.X + elbow.X) / 2, (wrist.Y + elbow.Y) / 2, 2));
            // The high-score elbow itself is drawn.
            Assert.True(DiffAround(original, drawn, elbow.X, elbow.Y, 2) > 100);
        }
    }

    [Fact]
    public void ThresholdOption_IsApplied()
    {
        var frames = SyntheticFrames.VideoFrames(1);
        using var original = frames[0];
        using var drawn = original.Clone();
        var person = SyntheticFrames.Person(320, 140, 1, lowJoint: LeftWrist);
        new SkeletonRenderer(new SkeletonRendererOptions(MinKeypointScore: 0.05f, DrawBoxes: false, DrawLabels: false)).Draw(drawn, person);
        var w = person.Keypoints[LeftWrist];
        Assert.True(DiffAround(original, drawn, w.X, w.Y, 2) > 100, "a joint at 0.1 is drawn with threshold 0.05");
    }

    [Fact]
    public void TrackColour_IsStablePerId_AndDiffersBetweenIds()
    {
        Assert.Equal(SkeletonRenderer.TrackColor(3), SkeletonRenderer.TrackColor(3));
        Assert.Equal(SkeletonRenderer.UntrackedColor, SkeletonRenderer.TrackColor(0));
        var colours = Enumerable.Range(1, 30).Select(SkeletonRenderer.TrackColor).ToList();
        for (int i = 0; i < colours.Count; i++)
            for (int j = i + 1; j < colours.Count; j++)
                Assert.NotEqual(colours[i], colours[j]);
        // Consecutive ids are far apart, not just different.
        for (int i = 1; i < colours.Count; i++)
            Assert.True(Distance(new Vec3b((byte)colours[i].Val0, (byte)colours[i].Val1, (byte)colours[i].Val2), colours[i - 1]) > 80,
                $"ids {i} and {i + 1} look alike");
    }

    [Fact]
    public void Box_IsDrawnInTheTrackColour()
    {
        var (original, drawn, p) = RenderSynthetic(trackId: 4);
        using (original) using (drawn)
        {
            // Left edge x=300, mid-height; thickness 2 → the pixel at the edge is (near) the pure colour.
            var px = drawn.At<Vec3b>(300, 300);
            Assert.True(Distance(px, SkeletonRenderer.TrackColor(4)) < 80, $"box pixel {px} vs {SkeletonRenderer.TrackColor(4)}");
        }
    }

    [Fact]
    public void Overlay_ChangesOnlyTheTopLeft()
    {
        var frames = SyntheticFrames.VideoFrames(1);
        using var original = frames[0];
        using var drawn = original.Clone();
        var r = new SkeletonRenderer();
        r.DrawOverlay(drawn, "12.3 fps  4 people");
        r.DrawOverlay(drawn, "");
        using var diff = new Mat();
        Cv2.Absdiff(original, drawn, diff);
        using var gray = diff.CvtColor(ColorConversionCodes.BGR2GRAY);
        var box = Cv2.BoundingRect(gray);
        Assert.True(box.Width > 50 && box.Height > 10, $"overlay drawn: {box}");
        Assert.True(box.X < 5 && box.Y < 5 && box.Right < drawn.Width / 2 && box.Bottom < drawn.Height / 4, $"overlay at top left: {box}");
    }

    [Fact]
    public void RejectsNonBgrImages()
    {
        using var gray = new Mat(10, 10, MatType.CV_8UC1);
        Assert.Throws<ArgumentException>(() => new SkeletonRenderer().Draw(gray, Array.Empty<Person>()));
    }

    [Fact]
    public void Thickness_ScalesWithImageSize()
    {
        Assert.Equal(1, SkeletonRenderer.Thickness(320, 240));
        Assert.Equal(2, SkeletonRenderer.Thickness(768, 576));
        Assert.True(SkeletonRenderer.Thickness(3840, 2160) >= 6);
    }
}
