using System.Globalization;
using System.Text.Json;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Evaluation;
using PoseTrack.Pose;
using Xunit;

namespace PoseTrack.Tests.Pose;

/// <summary>
/// The seed papers' shapes end to end through the real CLI: an Hourglass-shaped MPII-16 model (256×256 → 64×64×16) and an
/// HRNet-shaped COCO-17 one (256×192 → 64×48×17), written with the project's ONNX writer (<see cref="SeedShapeModels"/>),
/// with a detector that always finds one known box. The heatmaps peak where the test planted them, so every keypoint of
/// the output is predictable in image pixels: the shape classification, the skeleton, the quarter-pixel decode and the
/// inverse affine are all checked on the numbers, for <c>image</c>, the video pipeline, the drawing, the tracker and the report.
/// </summary>
public class SeedShapeEndToEndTests
{
    // The synthetic detector's box in its 320×320 letterboxed input; a 640×480 image is letterboxed at 0.5, so the box in
    // the image is twice this: (200, 80)–(360, 400).
    private static readonly float[] DetBox = [100, 40, 180, 200];
    private const float DetScore = 0.95f;
    private static readonly BoxF ImageBox = BoxF.FromCorners(200, 80, 360, 400);
    private const int ImageW = 640, ImageH = 480;
    // JSON keeps two decimals; float rounding adds far less.
    private const double Tolerance = 0.011;

    private sealed record Setup(string Dir, string Image, string Hourglass, string HrNet, string Detector);

    private static Setup Prepare()
    {
        var dir = TestData.TempDir("seeds");
        string hg = Path.Combine(dir, "hourglass_mpii.onnx"), hr = Path.Combine(dir, "hrnet_coco.onnx"), det = Path.Combine(dir, "one_box.onnx");
        File.WriteAllBytes(hg, SeedShapeModels.Hourglass());
        File.WriteAllBytes(hr, SeedShapeModels.HrNet());
        File.WriteAllBytes(det, SeedShapeModels.OneBoxDetector(DetBox, DetScore));
        var image = Path.Combine(dir, "grey.png");
        using (var grey = new Mat(ImageH, ImageW, MatType.CV_8UC3, new Scalar(128, 128, 128))) Cv2.ImWrite(image, grey);
        return new Setup(dir, image, hg, hr, det);
    }

    /// <summary>Where joint k must land in the image: planted peak → quarter offset → input pixels → inverse of the ×1.25 crop.</summary>
    private static (float X, float Y) Expected(int k, int hmW, int hmH, int inW, int inH, BoxF box)
    {
        var (x, y) = SeedShapeModels.DecodedInInput(k, hmW, hmH, inW, inH);
        return new AffineCrop(box, inW, inH).ToImage(x, y);
    }

    private static void AssertKeypoints(JsonElement keypoints, int joints, int hmW, int hmH, int inW, int inH, BoxF box)
    {
        Assert.Equal(joints, keypoints.GetArrayLength());
        for (int k = 0; k < joints; k++)
        {
            var (x, y) = Expected(k, hmW, hmH, inW, inH, box);
            var kp = keypoints[k];
            Assert.True(Math.Abs(kp[0].GetDouble() - x) <= Tolerance && Math.Abs(kp[1].GetDouble() - y) <= Tolerance,
                $"joint {k}: got ({kp[0].GetDouble()}, {kp[1].GetDouble()}), expected ({x:F3}, {y:F3})");
            Assert.Equal(SeedShapeModels.PeakValue, kp[2].GetDouble(), 2);
        }
    }

    private static CliProcess.Result Run(string dir, params string[] args)
    {
        var r = CliProcess.Run(dir, args);
        Assert.True(r.ExitCode == 0, $"posetrack {string.Join(' ', args)} exited {r.ExitCode}: {r.Stderr}");
        return r;
    }

    [Fact]
    public void Classifier_TakesTheSeedShapes_ForHeatmapsOfTheirSkeletons()
    {
        Assert.Equal(new PoseOutputClass(PoseOutputKind.Heatmap, 16), PoseOutputClassifier.Classify(["heatmaps"], [[1, 16, 64, 64]]));
        Assert.Equal(new PoseOutputClass(PoseOutputKind.Heatmap, 17), PoseOutputClassifier.Classify(["heatmaps"], [[-1, 17, 64, 48]]));
        Assert.Same(Skeleton.Mpii16, Skeleton.ForJointCount(16));
        Assert.Same(Skeleton.Coco17, Skeleton.ForJointCount(17));
    }

    [Fact]
    public void Hourglass_FromAManifestEntry_Image_DecodesThePlantedPeaks_InMpiiOrder_AndDrawsMpiiLimbs()
    {
        var s = Prepare();
        // A models folder of its own: the models are named entries, as an installed Hourglass would be.
        var models = Path.Combine(s.Dir, "models");
        Directory.CreateDirectory(models);
        File.Copy(s.Hourglass, Path.Combine(models, "hourglass_mpii.onnx"));
        File.Copy(s.Detector, Path.Combine(models, "one_box.onnx"));
        File.WriteAllText(Path.Combine(models, "models.json"), """
            {
              "version": 1,
              "defaults": { "detector": "one-box", "pose": "hourglass-synth" },
              "models": [
                { "name": "one-box", "file": "one_box.onnx", "task": "detector", "family": "rtmdet", "input": { "width": 320, "height": 320 },
                  "colour": "bgr", "mean": [0, 0, 0], "std": [1, 1, 1], "letterbox": { "align": "top-left", "pad": 114 }, "decoder": "dets-nms-in-graph" },
                { "name": "hourglass-synth", "file": "hourglass_mpii.onnx", "task": "pose", "family": "hourglass", "input": { "width": 256, "height": 256 },
                  "colour": "rgb", "mean": [123.675, 116.28, 103.53], "std": [58.395, 57.12, 57.375], "skeleton": "mpii16", "decoder": "heatmap" }
              ]
            }
            """);
        var drawn = Path.Combine(s.Dir, "drawn.png");
        Run(s.Dir, "image", s.Image, "--models", models, "--pose-model", "hourglass-synth", "--json", "poses.json", "--output", drawn, "-q");

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(s.Dir, "poses.json")));
        var root = doc.RootElement;
        Assert.Equal("mpii16", root.GetProperty("skeleton").GetString());
        Assert.Equal(Skeleton.Mpii16.JointNames, root.GetProperty("keypoint_names").EnumerateArray().Select(e => e.GetString()!).ToArray());
        var persons = root.GetProperty("images")[0].GetProperty("persons");
        Assert.Equal(1, persons.GetArrayLength());
        var box = persons[0].GetProperty("box");
        Assert.Equal([200.0, 80.0, 160.0, 320.0], box.EnumerateArray().Select(e => e.GetDouble()).ToArray());
        AssertKeypoints(persons[0].GetProperty("keypoints"), 16, 64, 64, 256, 256, ImageBox);

        // Every MPII limb is drawn: the pixel halfway along it is no longer the grey background.
        using var img = Cv2.ImRead(drawn);
        foreach (var (a, b) in Skeleton.Mpii16.Limbs)
        {
            var (ax, ay) = Expected(a, 64, 64, 256, 256, ImageBox);
            var (bx, by) = Expected(b, 64, 64, 256, 256, ImageBox);
            var px = img.At<Vec3b>((int)MathF.Round((ay + by) / 2), (int)MathF.Round((ax + bx) / 2));
            Assert.False(px.Item0 == 128 && px.Item1 == 128 && px.Item2 == 128, $"limb {Skeleton.Mpii16.JointNames[a]}-{Skeleton.Mpii16.JointNames[b]} is not drawn");
        }
    }

    [Fact]
    public void HrNet_FromAPath_Image_DecodesThePlantedPeaks_AsCoco17()
    {
        var s = Prepare();
        Run(s.Dir, "image", s.Image, "--detector", s.Detector, "--pose-model", s.HrNet, "--json", "poses.json", "-q");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(s.Dir, "poses.json")));
        var root = doc.RootElement;
        Assert.Equal("coco17", root.GetProperty("skeleton").GetString());
        Assert.Equal(Skeleton.Coco17.JointNames, root.GetProperty("keypoint_names").EnumerateArray().Select(e => e.GetString()!).ToArray());
        var persons = root.GetProperty("images")[0].GetProperty("persons");
        Assert.Equal(1, persons.GetArrayLength());
        // 256×192 input: the 160×320 box (1:2) is first widened to the model's 3:4 (240×320), then padded ×1.25.
        AssertKeypoints(persons[0].GetProperty("keypoints"), 17, 48, 64, 192, 256, ImageBox);
    }

    [Fact]
    public void Hourglass_VideoPipeline_LogsMpiiHeader_OneTrack_AndReports()
    {
        var s = Prepare();
        var frames = Path.Combine(s.Dir, "frames");
        Directory.CreateDirectory(frames);
        for (int i = 0; i < 8; i++) File.Copy(s.Image, Path.Combine(frames, $"{i:D4}.png"));
        Run(s.Dir, "--input", frames, "--detector", s.Detector, "--pose-model", s.Hourglass, "--json", "run.jsonl", "--csv", "run.csv", "--output", "run.mp4", "-q");

        var lines = TestData.LogLines(Path.Combine(s.Dir, "run.jsonl"));
        using (var header = JsonDocument.Parse(lines[0]))
        {
            var h = header.RootElement;
            Assert.Equal("mpii16", h.GetProperty("skeleton").GetString());
            Assert.Equal(Skeleton.Mpii16.JointNames, h.GetProperty("keypoint_names").EnumerateArray().Select(e => e.GetString()!).ToArray());
            var limbs = h.GetProperty("limbs").EnumerateArray().Select(l => (l[0].GetInt32(), l[1].GetInt32())).ToArray();
            Assert.Equal(Skeleton.Mpii16.Limbs, limbs);
        }
        Assert.Equal(9, lines.Length);
        var ids = new HashSet<int>();
        foreach (var line in lines.Skip(1))
        {
            using var frame = JsonDocument.Parse(line);
            var persons = frame.RootElement.GetProperty("persons");
            Assert.Equal(1, persons.GetArrayLength());
            AssertKeypoints(persons[0].GetProperty("keypoints"), 16, 64, 64, 256, 256, ImageBox);
            if (persons[0].GetProperty("track_id").ValueKind == JsonValueKind.Number) ids.Add(persons[0].GetProperty("track_id").GetInt32());
        }
        // The same pose in every frame: OKS (with the MPII sigmas) keeps one track.
        Assert.Single(ids);
        Assert.True(new FileInfo(Path.Combine(s.Dir, "run.mp4")).Length > 0);
        var csv = File.ReadAllLines(Path.Combine(s.Dir, "run.csv"));
        Assert.StartsWith("frame,time_ms,track_id,score,box_x,box_y,box_w,box_h,r_ankle_x,r_ankle_y,r_ankle_score,", csv[0]);
        Assert.EndsWith(",l_wrist_x,l_wrist_y,l_wrist_score", csv[0]);
        Assert.Equal(9, csv.Length);

        Run(s.Dir, "report", "run.jsonl", "--output", "run.html", "--no-thumbnails", "-q");
        var html = File.ReadAllText(Path.Combine(s.Dir, "run.html"));
        Assert.Contains("mpii16", html);
    }

    [Fact]
    public void EvalCoco_RefusesAnMpiiModel_AndEvalMpii_ACocoModel_InOneLine()
    {
        var s = Prepare();
        var coco = CliProcess.Run(s.Dir, "eval", "coco", "--annotations", TestData.Shared("data", "coco", "test_coco.json"),
            "--images", TestData.Shared("data", "coco"), "--results", "r.json", "--detector", s.Detector, "--pose-model", s.Hourglass, "-q");
        Assert.NotEqual(0, coco.ExitCode);
        Assert.Single(coco.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("COCO-17", coco.Stderr);
        Assert.Contains("mpii16", coco.Stderr);

        var mpii = CliProcess.Run(s.Dir, "eval", "mpii", "--annotations", TestData.Shared("data", "mpii", "test_mpii.json"),
            "--images", TestData.Shared("data", "mpii"), "--gt-boxes", "--pose-model", s.HrNet, "-q");
        Assert.NotEqual(0, mpii.ExitCode);
        Assert.Single(mpii.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("MPII-16", mpii.Stderr);
        Assert.Contains("coco17", mpii.Stderr);
    }

    /// <summary>
    /// An MPII annotation of the grey image whose joints are where the Hourglass model's pose lands in <paramref name="box"/>,
    /// except r_ankle moved 0.3 head sizes (right within 0.5, not within 0.1), r_knee 0.7 (wrong) and r_hip not annotated.
    /// </summary>
    private static string MpiiAnnotation(Setup s, string name, BoxF box, double cx, double cy, double scale)
    {
        var joints = Enumerable.Range(0, 16).Select(k => Expected(k, 64, 64, 256, 256, box)).Select(p => new[] { (double)p.X, p.Y }).ToArray();
        double head = Math.Sqrt(Math.Pow(joints[9][0] - joints[8][0], 2) + Math.Pow(joints[9][1] - joints[8][1], 2));
        joints[0][0] += 0.3 * head;
        joints[1][0] += 0.7 * head;
        var vis = Enumerable.Repeat(1, 16).ToArray();
        vis[2] = 0;
        var entry = new Dictionary<string, object>
        {
            ["image"] = Path.GetFileName(s.Image), ["joints"] = joints, ["joints_vis"] = vis, ["center"] = new[] { cx, cy }, ["scale"] = scale,
        };
        var path = Path.Combine(s.Dir, name);
        File.WriteAllText(path, JsonSerializer.Serialize(new[] { entry }));
        return path;
    }

    // Of the 14 joints in the mean (pelvis and thorax left out), r_hip is not annotated: 13 scored, r_knee wrong at 0.5,
    // r_ankle and r_knee wrong at 0.1.
    private const string ExpectedPckh05 = "PCKh=0.923", ExpectedPckh01 = "PCKh@0.1=0.846";

    [Fact]
    public void EvalMpii_GtBoxes_CropsTheBoxOfCentreAndScale_AndScoresByHeadSegment()
    {
        var s = Prepare();
        // Centre (280, 240), scale 1.6: the box is a square of 1.25 × 200 × 1.6 = 400 px around (280, 240 + 15 × 1.6).
        var annotations = MpiiAnnotation(s, "mpii.json", new BoxF(80, 64, 400, 400), 280, 240, 1.6);
        var r = Run(s.Dir, "eval", "mpii", "--annotations", annotations, "--images", s.Dir, "--gt-boxes", "--pose-model", s.Hourglass, "-q");
        var lines = r.Stdout.TrimEnd().Split('\n');
        Assert.Equal(ExpectedPckh05, lines[^1]);
        Assert.Equal(ExpectedPckh01, lines[^2]);
        Assert.Contains(lines, l => l.StartsWith("r_knee", StringComparison.Ordinal) && l.Contains(" 0.000 ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("r_hip", StringComparison.Ordinal) && l.Contains("n/a", StringComparison.Ordinal));
    }

    [Fact]
    public void EvalMpii_DetectorBoxes_MatchesThePersonAroundTheAnnotatedCentre()
    {
        var s = Prepare();
        var annotations = MpiiAnnotation(s, "mpii.json", ImageBox, 280, 240, 1.6);
        var r = Run(s.Dir, "eval", "mpii", "--annotations", annotations, "--images", s.Dir, "--detector", s.Detector, "--pose-model", s.Hourglass, "-q");
        var lines = r.Stdout.TrimEnd().Split('\n');
        Assert.Equal(ExpectedPckh05, lines[^1]);
        Assert.Equal(ExpectedPckh01, lines[^2]);
    }
}
