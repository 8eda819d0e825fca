using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Pose;

namespace PoseTrack.Tests.Pose;

public sealed class AffineCropTests
{
    [Theory]
    [InlineData(0f)]
    [InlineData(30f)]
    [InlineData(-75f)]
    public void ImageToCropToImage_RoundTripsWithin1e3Pixels(float rotation)
    {
        var crop = new AffineCrop(new BoxF(100, 50, 80, 200), 192, 256, rotationDegrees: rotation);
        var rnd = new Random(1);
        for (int i = 0; i < 100; i++)
        {
            float x = rnd.NextSingle() * 640, y = rnd.NextSingle() * 480;
            var (ix, iy) = crop.ToInput(x, y);
            var (bx, by) = crop.ToImage(ix, iy);
            Assert.True(Math.Abs(bx - x) < 1e-3 && Math.Abs(by - y) < 1e-3, $"({x},{y}) → ({bx},{by})");
        }
    }

    [Fact]
    public void NoRotation_MatchesTheDocumentedMatrix()
    {
        // MODELS.md: pad to 0.75 aspect, ×1.25, s = 192 / w, M = [[s,0,96 - s·cx],[0,s,128 - s·cy]].
        var box = new BoxF(100, 50, 80, 200);          // w < 0.75·h → w = 150, then ×1.25
        var crop = new AffineCrop(box, 192, 256);
        double s = 192.0 / (150 * 1.25);
        var m = crop.Forward();
        Assert.Equal(s, m[0], 9); Assert.Equal(0, m[1], 9); Assert.Equal(96 - s * 140, m[2], 6);
        Assert.Equal(0, m[3], 9); Assert.Equal(s, m[4], 9); Assert.Equal(128 - s * 150, m[5], 6);
    }

    [Fact]
    public void WideBox_IsPaddedInHeight_NotSquashed()
    {
        var crop = new AffineCrop(new BoxF(0, 0, 300, 100), 192, 256);
        Assert.Equal(300 * 1.25f, crop.RegionWidth, 3);
        Assert.Equal(400 * 1.25f, crop.RegionHeight, 3);
    }

    [Fact]
    public void WarpedPixel_LandsWhereToInputSays()
    {
        // A single bright pixel in the image must appear in the warped crop at ToInput(x, y).
        using var img = new Mat(480, 640, MatType.CV_8UC3, Scalar.All(0));
        img.Set(200, 150, new Vec3b(255, 255, 255));
        var crop = new AffineCrop(new BoxF(100, 100, 120, 200), 192, 256, rotationDegrees: 20);
        using var m = Mat.FromPixelData(2, 3, MatType.CV_64FC1, crop.Forward());
        using var warped = new Mat();
        Cv2.WarpAffine(img, warped, m, new Size(192, 256), InterpolationFlags.Linear);
        using var gray = warped.CvtColor(ColorConversionCodes.BGR2GRAY);
        Cv2.MinMaxLoc(gray, out _, out _, out _, out Point maxLoc);
        var (ex, ey) = crop.ToInput(150, 200);
        Assert.True(Math.Abs(maxLoc.X - ex) <= 1 && Math.Abs(maxLoc.Y - ey) <= 1, $"peak at {maxLoc}, expected ({ex:F1},{ey:F1})");
    }
}
