using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Rendering;
using PoseTrack.Tests.Sinks;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Rendering;

/// <summary>
/// Overlays sized to people: line width and dots follow each person's height, people differ by colour, labels keep
/// clear of each other and of the image edges, and drawing never touches the results. Synthetic frames (a plain
/// grey canvas) so every changed pixel is the renderer's.
/// </summary>
public sealed class PersonSizedDrawingTests(ITestOutputHelper output)
{
    private const float SyntheticHeight = 330.6666f; // SyntheticFrames.Person's box height

    /// <summary>The synthetic person scaled to <paramref name="height"/> pixels tall, its box at (x, y).</summary>
    private static Person Sized(float x, float y, float height, int trackId)
    {
        var p = SyntheticFrames.Person(0, 0, trackId);
        float s = height / SyntheticHeight;
        var kps = p.Keypoints.Select(k => new Keypoint(x + k.X * s, y + k.Y * s, k.Score)).ToArray();
        return p with { Box = new BoxF(x, y, p.Box.Width * s, height), Keypoints = kps };
    }

    private static Mat Canvas(int w, int h) => new(h, w, MatType.CV_8UC3, new Scalar(128, 128, 128));

    private static int ChangedIn(Mat a, Mat b, Rect r)
    {
        using var ra = new Mat(a, r);
        using var rb = new Mat(b, r);
        using var d = new Mat();
        Cv2.Absdiff(ra, rb, d);
        using var g = d.CvtColor(ColorConversionCodes.BGR2GRAY);
        // Faint anti-aliasing fringes do not count as covered.
        using var strong = g.Threshold(20, 255, ThresholdTypes.Binary);
        return Cv2.CountNonZero(strong);
    }

    /// <summary>Changed pixels in a row from x0 to x1: the width of a near-vertical line crossing it.</summary>
    private static int RunAcross(Mat a, Mat b, int row, int x0, int x1)
    {
        int n = 0;
        for (int x = x0; x <= x1; x++)
        {
            var p = a.At<Vec3b>(row, x); var q = b.At<Vec3b>(row, x);
            if (Math.Abs(p.Item0 - q.Item0) + Math.Abs(p.Item1 - q.Item1) + Math.Abs(p.Item2 - q.Item2) > 60) n++;
        }
        return n;
    }

    [Fact]
    public void AutomaticSizes_GrowWithHeight_WithinReadableBounds()
    {
        Assert.Equal(1, SkeletonRenderer.LineWidthFor(40));
        Assert.Equal(1, SkeletonRenderer.LineWidthFor(90));
        Assert.InRange(SkeletonRenderer.LineWidthFor(1000), 8, 14);
        Assert.InRange(SkeletonRenderer.DotRadiusFor(40), 1.5f, 2f);
        Assert.InRange(SkeletonRenderer.DotRadiusFor(1000), 10f, 18f);
        Assert.True(SkeletonRenderer.LineWidthFor(300) < SkeletonRenderer.LineWidthFor(600));
        Assert.True(SkeletonRenderer.DotRadiusFor(300) < SkeletonRenderer.DotRadiusFor(600));
        // Non-finite or empty boxes fall back to the smallest sizes instead of failing.
        Assert.Equal(1, SkeletonRenderer.LineWidthFor(float.NaN));
        Assert.Equal(1.5f, SkeletonRenderer.DotRadiusFor(-5));
    }

    [Fact]
    public void SmallAndLargePeople_AreDrawnWithLinesAndDotsToTheirScale()
    {
        using var original = Canvas(1400, 1200);
        using var drawn = original.Clone();
        var small = Sized(40, 100, 40, trackId: 1);
        var large = Sized(300, 100, 1000, trackId: 2);
        new SkeletonRenderer(new SkeletonRendererOptions(DrawBoxes: false, DrawLabels: false)).Draw(drawn, [small, large]);

        // Left thigh (hip 11 → knee 13) is near vertical: the changed run across its middle is the line width.
        float Mid(Person p, int a, int b, bool y) => y ? (p.Keypoints[a].Y + p.Keypoints[b].Y) / 2 : (p.Keypoints[a].X + p.Keypoints[b].X) / 2;
        int largeWidth = RunAcross(original, drawn, (int)Mid(large, 11, 13, true), (int)Mid(large, 11, 13, false) - 30, (int)Mid(large, 11, 13, false) + 30);
        int smallWidth = RunAcross(original, drawn, (int)MathF.Round(Mid(small, 11, 13, true)), (int)Mid(small, 11, 13, false) - 3, (int)Mid(small, 11, 13, false) + 3);
        // (Anti-aliasing adds up to two pixels a side.)
        Assert.InRange(largeWidth, SkeletonRenderer.LineWidthFor(1000), SkeletonRenderer.LineWidthFor(1000) + 4);
        Assert.InRange(smallWidth, 1, 4);
        Assert.True(largeWidth >= 3 * smallWidth, $"large {largeWidth} px vs small {smallWidth} px");

        // The large person's dots have their radius: a pixel (r - 1) to the side of a joint is drawn, (r + 3) is not
        // (the right wrist, 10, ends a limb coming from above, so its sides are clear of lines).
        var wrist = large.Keypoints[10];
        float r = SkeletonRenderer.DotRadiusFor(1000);
        Assert.True(RunAcross(original, drawn, (int)wrist.Y, (int)(wrist.X - r + 1), (int)(wrist.X - r + 1)) == 1, "dot edge drawn");
        Assert.True(RunAcross(original, drawn, (int)wrist.Y, (int)(wrist.X - r - 3), (int)(wrist.X - r - 3)) == 0, "nothing beyond the dot");

        // The small person stays a skeleton, not a blob: most of its box is untouched.
        var smallBox = new Rect((int)small.Box.X, (int)small.Box.Y, (int)small.Box.Width + 1, (int)small.Box.Height + 1);
        double covered = ChangedIn(original, drawn, smallBox) / (double)(smallBox.Width * smallBox.Height);
        // Image-sized drawing (what this canvas got before: 5 px lines, 6 px dots) makes it one blot.
        using var blot = original.Clone();
        new SkeletonRenderer(new SkeletonRendererOptions(DrawBoxes: false, DrawLabels: false) { LineWidth = 5, DotRadius = 6 }).Draw(blot, small);
        double blotCovered = ChangedIn(original, blot, smallBox) / (double)(smallBox.Width * smallBox.Height);
        Assert.True(covered < 0.7 && covered < blotCovered - 0.25, $"a 40 px tall person covers {covered:P0} of its box (image-sized: {blotCovered:P0})");
        output.WriteLine($"40 px person covers {covered:P0} of its box (image-sized drawing: {blotCovered:P0}); thigh {smallWidth} px vs {largeWidth} px at 1000 px");
        Assert.True(covered > 0.05, $"a 40 px tall person is drawn at all ({covered:P0})");
    }

    [Fact]
    public void FixedSizes_OverrideTheAutomaticOnes()
    {
        using var original = Canvas(1400, 1200);
        using var drawn = original.Clone();
        var large = Sized(300, 100, 1000, trackId: 2);
        var renderer = new SkeletonRenderer(new SkeletonRendererOptions(DrawBoxes: false, DrawLabels: false) { LineWidth = 3, DotRadius = 2 });
        Assert.Equal(3, renderer.LineWidthOf(large));
        Assert.Equal(2, renderer.DotRadiusOf(large));
        renderer.Draw(drawn, large);
        int y = (int)((large.Keypoints[11].Y + large.Keypoints[13].Y) / 2), x = (int)((large.Keypoints[11].X + large.Keypoints[13].X) / 2);
        Assert.InRange(RunAcross(original, drawn, y, x - 30, x + 30), 3, 7);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SkeletonRenderer(new SkeletonRendererOptions { LineWidth = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SkeletonRenderer(new SkeletonRendererOptions { DotRadius = float.NaN }));
    }

    [Fact]
    public void OverlappingPeople_AreDrawnInTheirOwnTrackColours()
    {
        using var original = Canvas(800, 600);
        using var drawn = original.Clone();
        var a = Sized(100, 100, 330, trackId: 3);
        var b = Sized(160, 110, 330, trackId: 4);
        new SkeletonRenderer(new SkeletonRendererOptions(DrawBoxes: false, DrawLabels: false)).Draw(drawn, [a, b]);
        // The hip–hip limb is a centre limb: the person's colour itself. b is drawn last, so its limb is whole.
        Vec3b Hips(Person p) => drawn.At<Vec3b>((int)MathF.Round((p.Keypoints[11].Y + p.Keypoints[12].Y) / 2), (int)MathF.Round((p.Keypoints[11].X + p.Keypoints[12].X) / 2));
        var ca = SkeletonRenderer.TrackColor(3);
        var cb = SkeletonRenderer.TrackColor(4);
        Assert.True(Distance(Hips(a), ca) < 60, $"person #3 hips {Hips(a)} vs {ca}");
        Assert.True(Distance(Hips(b), cb) < 60, $"person #4 hips {Hips(b)} vs {cb}");
        Assert.True(Distance(Hips(a), cb) > 80 && Distance(Hips(b), ca) > 80, "the two people look alike");
    }

    [Fact]
    public void UntrackedPeopleInOneImage_DifferInColour()
    {
        var a = Sized(100, 100, 330, trackId: 0);
        var b = Sized(300, 100, 330, trackId: 0);
        Assert.NotEqual(SkeletonRenderer.PersonColor(a, 0), SkeletonRenderer.PersonColor(b, 1));
        Assert.Equal(SkeletonRenderer.TrackColor(5), SkeletonRenderer.PersonColor(Sized(0, 0, 100, 5), 0));
    }

    [Fact]
    public void CrowdedLabels_DoNotOverlap_AndStayInsideTheImage()
    {
        const int w = 640, h = 360;
        // A row of overlapping people, the first at the top edge (no room above its box), the last cut by the right
        // edge, plus a small person in front of a large one.
        var persons = new List<Person>();
        for (int i = 0; i < 7; i++) persons.Add(Sized(20 + 70 * i, i == 0 ? 0 : 15 + 3 * i, 240, trackId: 100 + i));
        persons.Add(Sized(600, 60, 200, trackId: 12345));
        persons.Add(Sized(150, 200, 60, trackId: 9));
        var renderer = new SkeletonRenderer();
        var rects = renderer.LabelRects(w, h, persons);
        Assert.Equal(persons.Count, rects.Length);
        var image = new Rect(0, 0, w, h);
        for (int i = 0; i < rects.Length; i++)
        {
            Assert.True(rects[i].Width > 0 && rects[i].Height > 0, $"label {i} placed");
            Assert.True(image.Contains(rects[i]), $"label {i} {rects[i]} inside {w}x{h}");
            for (int j = i + 1; j < rects.Length; j++)
                Assert.False(rects[i].IntersectsWith(rects[j]), $"labels {i} {rects[i]} and {j} {rects[j]} overlap");
        }

        // The labels are drawn where they were placed: each rectangle's corner has its person's colour.
        using var canvas = Canvas(w, h);
        renderer.Draw(canvas, persons);
        for (int i = 0; i < rects.Length; i++)
            Assert.True(Distance(canvas.At<Vec3b>(rects[i].Y, rects[i].X), SkeletonRenderer.TrackColor(persons[i].TrackId)) < 40,
                $"label {i} corner {canvas.At<Vec3b>(rects[i].Y, rects[i].X)}");
    }

    [Fact]
    public void ALonePersonsLabel_SitsAboveItsBox_ClearOfTheSkeleton()
    {
        var p = Sized(200, 150, 300, trackId: 7);
        var rect = new SkeletonRenderer().LabelRects(800, 600, [p])[0];
        Assert.True(rect.Bottom <= 150 + 1 && rect.X >= 199 && rect.X < 200 + p.Box.Width, $"label {rect} above the box at (200, 150)");
        Assert.DoesNotContain(p.Keypoints, k => rect.Contains((int)k.X, (int)k.Y));
    }

    [Fact]
    public void APersonAtTheTopEdge_GetsItsLabelInsideTheBoxTop()
    {
        var p = Sized(200, 0, 300, trackId: 7);
        var rect = new SkeletonRenderer().LabelRects(800, 600, [p])[0];
        Assert.True(rect.Y >= 0 && rect.Y < 10 && rect.X >= 199 && rect.Right <= 200 + p.Box.Width + 1, $"label {rect} inside the box top");
        Assert.False(rect.Contains((int)p.Keypoints[0].X, (int)p.Keypoints[0].Y), "the label covers the nose");
    }

    [Fact]
    public void NoBoxesNoLabels_LeaveAllButTheSkeletonUntouched()
    {
        using var original = Canvas(800, 600);
        using var drawn = original.Clone();
        var p = Sized(200, 150, 300, trackId: 7);
        new SkeletonRenderer(new SkeletonRendererOptions(DrawBoxes: false, DrawLabels: false)).Draw(drawn, p);
        // The box's left edge and the place above it (where the label would go) are untouched.
        Assert.Equal(0, ChangedIn(original, drawn, new Rect(195, 100, 6, 250)));
        using var withBoxes = original.Clone();
        new SkeletonRenderer().Draw(withBoxes, p);
        Assert.True(ChangedIn(original, withBoxes, new Rect(195, 100, 6, 250)) > 100);
    }

    [Fact]
    public void Drawing_DoesNotChangeThePersons()
    {
        var persons = new List<Person> { Sized(10, 10, 200, 1), Sized(50, 20, 100, 0) };
        var before = persons.Select(p => (p.Box, p.TrackId, Kps: p.Keypoints.ToArray())).ToList();
        using var canvas = Canvas(320, 240);
        new SkeletonRenderer().Draw(canvas, persons);
        for (int i = 0; i < persons.Count; i++)
        {
            Assert.Equal(before[i].Box, persons[i].Box);
            Assert.Equal(before[i].TrackId, persons[i].TrackId);
            Assert.Equal(before[i].Kps, persons[i].Keypoints);
        }
    }

    private static double Distance(Vec3b px, Scalar c) =>
        Math.Sqrt(Math.Pow(px.Item0 - c.Val0, 2) + Math.Pow(px.Item1 - c.Val1, 2) + Math.Pow(px.Item2 - c.Val2, 2));
}
