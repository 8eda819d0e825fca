using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Tests.Detection;

/// <summary>
/// The detector's pre-processing resizes the 8-bit frame first and normalises only the small image. Its input must be
/// what a float copy of the whole frame, resized and normalised, gives: within one grey level everywhere (8-bit
/// resizing rounds), the padding exactly 114.
/// </summary>
public sealed class LetterboxInputTests
{
    [Theory]
    [InlineData(1.0)]    // the sample as it is, 768×576
    [InlineData(2.5)]    // 1920×1440, a camera-sized frame
    [InlineData(5.0)]    // 3840×2880
    public void DetectorInput_IsWithinOneGreyLevel_OfAFloatResizeOfTheWholeFrame(double upscale)
    {
        using var estimator = PoseEstimator.Create(new PoseEstimatorOptions { ModelsDirectory = TestData.ModelsDir, Detector = "rtmdet-nano" });
        var det = estimator.DetectorInternal;
        using var first = new Mat();
        using (var capture = new VideoCapture(TestData.Shared("data", "video", "vtest_10s.mp4")))
            Assert.True(capture.Read(first) && !first.Empty(), "the sample video gave no frame");
        using var frame = new Mat();
        if (upscale == 1) first.CopyTo(frame);
        else Cv2.Resize(first, frame, new Size(0, 0), upscale, upscale, InterpolationFlags.Linear);

        det.Preprocess(frame);
        var got = det.LastInput.ToArray();

        var (inW, inH) = det.InputSize;
        var (mean, std, rgb) = det.Normalisation;
        float r = Math.Min((float)inW / frame.Cols, (float)inH / frame.Rows);
        int rw = Math.Clamp((int)Math.Round(frame.Cols * r), 1, inW), rh = Math.Clamp((int)Math.Round(frame.Rows * r), 1, inH);
        using var wholeFloat = new Mat();
        frame.ConvertTo(wholeFloat, MatType.CV_32FC3);
        using var small = new Mat();
        Cv2.Resize(wholeFloat, small, new Size(rw, rh), 0, 0, InterpolationFlags.Linear);

        int plane = inW * inH;
        double worst = 0;
        int padding = 0;
        for (int y = 0; y < inH; y++)
            for (int x = 0; x < inW; x++)
            {
                bool inside = x < rw && y < rh;
                if (!inside) padding++;
                var px = inside ? small.At<Vec3f>(y, x) : new Vec3f(114, 114, 114);
                for (int c = 0; c < 3; c++)
                {
                    float value = px[rgb ? 2 - c : c];
                    float expected = (value - mean[c]) / std[c];
                    double greyLevels = Math.Abs(got[c * plane + y * inW + x] - expected) * std[c];
                    if (!inside) Assert.True(greyLevels < 1e-3, $"padding at ({x},{y}) is not 114");
                    worst = Math.Max(worst, greyLevels);
                }
            }
        Assert.True(worst <= 1.0, $"{frame.Cols}x{frame.Rows}: the detector input differs from the float resize by {worst:F2} grey levels");
        // The frame's aspect ratio (4:3) is not the input's: some padding is there and was checked.
        Assert.True(padding > 0 || rw * rh == plane);
    }
}
