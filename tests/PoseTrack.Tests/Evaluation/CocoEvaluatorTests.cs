using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using PoseTrack.Core;
using PoseTrack.Evaluation;

namespace PoseTrack.Tests.Evaluation;

public class CocoEvaluatorTests
{
    private static string GtPath => TestData.Shared("data", "coco", "test_coco.json");

    /// <summary>GT persons that count (not crowd, some keypoints) as detections: the GT's own keypoints, given scores.</summary>
    private static List<CocoKeypointResult> GtAsResults(CocoKeypointsFile gt, Func<int, double>? score = null)
    {
        var list = new List<CocoKeypointResult>();
        foreach (var a in gt.Annotations.Where(a => !a.IsCrowd && a.NumKeypoints > 0))
            list.Add(new CocoKeypointResult(a.ImageId, a.CategoryId, (double[])a.Keypoints.Clone(), score?.Invoke(list.Count) ?? 1.0));
        return list;
    }

    /// <summary>Copies of <paramref name="results"/> with every coordinate moved by noise × a fixed normal draw.</summary>
    private static List<CocoKeypointResult> Jitter(List<CocoKeypointResult> results, double noise, int seed)
    {
        var rng = new Random(seed);
        return results.Select(r =>
        {
            var kp = (double[])r.Keypoints.Clone();
            for (int k = 0; k < kp.Length; k += 3)
            {
                kp[k] += noise * Normal(rng);
                kp[k + 1] += noise * Normal(rng);
            }
            return r with { Keypoints = kp };
        }).ToList();
    }

    private static double Normal(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private static double[] FullKeypoints(double x, double y, double dx = 0)
    {
        // 17 visible joints spread over a 100 × 160 px figure.
        var kp = new double[51];
        for (int k = 0; k < 17; k++)
        {
            kp[3 * k] = x + (k % 4) * 30 + dx;
            kp[3 * k + 1] = y + k * 10;
            kp[3 * k + 2] = 2;
        }
        return kp;
    }

    [Fact]
    public void GroundTruthAsResults_GivesPerfectScores()
    {
        var gt = CocoKeypointsFile.Load(GtPath);
        Assert.Equal(4, gt.Images.Count);
        Assert.Equal(14, gt.Annotations.Count);

        var stats = CocoKeypointEvaluator.Evaluate(gt, GtAsResults(gt));

        Assert.Equal(1.0, stats.AP, 9);
        Assert.Equal(1.0, stats.AP50, 9);
        Assert.Equal(1.0, stats.AP75, 9);
        Assert.Equal(1.0, stats.AR, 9);
        Assert.Equal(1.0, stats.ARLarge, 9);
        Assert.EndsWith("AP=1.000\n", stats.FormatSummary(), StringComparison.Ordinal);
    }

    [Fact]
    public void MoreKeypointNoise_LowersApMonotonically()
    {
        var gt = CocoKeypointsFile.Load(GtPath);
        // Fixed scores so only the noise changes; the same normal draws are scaled at every level.
        var baseResults = GtAsResults(gt, i => 0.5 + 0.04 * i);
        double[] levels = [0, 2, 3, 4, 6, 8, 12, 16, 24];
        var ap = levels.Select(n => CocoKeypointEvaluator.Evaluate(gt, Jitter(baseResults, n, seed: 7)).AP).ToArray();

        string all = string.Join(", ", ap.Select(v => v.ToString("F4", CultureInfo.InvariantCulture)));
        Assert.Equal(1.0, ap[0], 9);
        for (int i = 1; i < ap.Length; i++)
            Assert.True(ap[i] < ap[i - 1], $"AP at noise {levels[i]} px is not below AP at {levels[i - 1]} px: {all}");
        Assert.True(ap[^1] < 0.2, $"AP at 24 px noise is still high: {all}");
    }

    [Fact]
    public void Oks_MatchesHandComputedValue()
    {
        // GT area 10000 with three labelled joints: nose (σ .026), left shoulder (σ .079), right hip (σ .107).
        // Variance per joint: (2σ)².  e = d² / (2σ)² / area / 2, OKS = mean exp(-e) over labelled joints.
        //   nose   off by (3, 4), d² = 25:  e = 25 / 0.002704 / 10000 / 2  = 0.462278106…  exp(-e) = 0.629847151
        //   l_sho  exact:                    e = 0                                            exp(-e) = 1
        //   r_hip  off by (6, 8), d² = 100: e = 100 / 0.045796 / 10000 / 2 = 0.109179841…  exp(-e) = 0.896569163
        //   OKS = (0.629847151 + 1 + 0.896569163) / 3 = 0.842138771
        // The unlabelled joints of the detection are far away and must not matter.
        var gtKp = new double[51];
        var dtKp = new double[51];
        for (int k = 0; k < 17; k++) { dtKp[3 * k] = 900; dtKp[3 * k + 1] = 900; }
        void Set(int k, double x, double y, double dx, double dy)
        {
            gtKp[3 * k] = x; gtKp[3 * k + 1] = y; gtKp[3 * k + 2] = 2;
            dtKp[3 * k] = x + dx; dtKp[3 * k + 1] = y + dy;
        }
        Set(0, 100, 50, 3, 4);
        Set(5, 80, 90, 0, 0);
        Set(12, 120, 200, 6, 8);
        var ann = new CocoKeypointAnnotation(1, 1, 1, new CocoBox(60, 40, 80, 200), 10000, false, 3, gtKp);

        Assert.Equal(0.842138771, CocoKeypointEvaluator.ComputeOks(dtKp, ann), 1e-9);
    }

    [Fact]
    public void Oks_GtWithoutLabelledJoints_UsesDistanceToDoubledBox()
    {
        // GT box [100, 100, 50, 40], area 1500, no labelled joint. The box grown by its own size on every side spans
        // x 50..200, y 60..180. All detection joints at (210, 100): 10 px right of it, so d² = 100 for every joint.
        //   OKS = mean over the 17 joints of exp(-100 / (2σ)² / 1500 / 2) = 0.205142735
        //   (nose: 4.43e-6 … hips: 0.483)
        var gtKp = new double[51];
        var dtKp = new double[51];
        for (int k = 0; k < 17; k++) { dtKp[3 * k] = 210; dtKp[3 * k + 1] = 100; }
        var ann = new CocoKeypointAnnotation(1, 1, 1, new CocoBox(100, 100, 50, 40), 1500, false, 0, gtKp);
        Assert.Equal(0.205142735, CocoKeypointEvaluator.ComputeOks(dtKp, ann), 1e-9);

        // Inside the grown box the distance is zero, so OKS is 1.
        for (int k = 0; k < 17; k++) { dtKp[3 * k] = 60; dtKp[3 * k + 1] = 175; }
        Assert.Equal(1.0, CocoKeypointEvaluator.ComputeOks(dtKp, ann), 12);
    }

    [Fact]
    public void HandBuiltCase_TwoGtThreeDetections()
    {
        // One image, two large GT persons (area 10000 > 96²), all 17 joints visible.
        //   det A, score 0.9: far from both                    → false positive at every threshold
        //   det B, score 0.8: exactly GT 1                     → OKS 1
        //   det C, score 0.7: GT 2 shifted 7 px to the right   → OKS 0.7797 (mean over joints of exp(-49/(2σ)²/10000/2))
        // Thresholds .50–.75 (6 of 10): C matches. Ranked A, B, C: TP 0,1,2  FP 1,1,1
        //   recall 0, .5, 1; precision 0, .5, .667 → envelope .667 everywhere → AP_t = 2/3 (all 101 recall points).
        // Thresholds .80–.95 (4 of 10): C is a false positive. TP 0,1,1  FP 1,1,2
        //   recall 0, .5, .5; precision 0, .5, .333 → envelope .5, .5, .333. Recall points 0….50 (51 of 101)
        //   find precision .5; points above .50 lie beyond the highest recall and count 0 → AP_t = 51·0.5/101 = 0.252475.
        // AP = (6 · 2/3 + 4 · 0.252475) / 10 = 0.500990;  AP50 = AP75 = 2/3.
        // Recall per threshold: 1 (6×) and 0.5 (4×) → AR = 0.8, AR50 = AR75 = 1. No medium GT → APm = ARm = -1.
        var gt = new CocoKeypointsFile("hand.json",
            [new CocoImage(5, "a.jpg", 640, 480)],
            [
                new CocoKeypointAnnotation(11, 5, 1, new CocoBox(0, 0, 100, 170), 10000, false, 17, FullKeypoints(0, 0)),
                new CocoKeypointAnnotation(12, 5, 1, new CocoBox(300, 0, 100, 170), 10000, false, 17, FullKeypoints(300, 0)),
            ]);
        var results = new[]
        {
            new CocoKeypointResult(5, 1, FullKeypoints(150, 300), 0.9),
            new CocoKeypointResult(5, 1, FullKeypoints(0, 0), 0.8),
            new CocoKeypointResult(5, 1, FullKeypoints(300, 0, dx: 7), 0.7),
        };

        var s = CocoKeypointEvaluator.Evaluate(gt, results);

        Assert.Equal(0.500990099, s.AP, 8);
        Assert.Equal(2.0 / 3, s.AP50, 8);
        Assert.Equal(2.0 / 3, s.AP75, 8);
        Assert.Equal(-1, s.APMedium);
        Assert.Equal(s.AP, s.APLarge, 12);
        Assert.Equal(0.8, s.AR, 12);
        Assert.Equal(1.0, s.AR50, 12);
        Assert.Equal(1.0, s.AR75, 12);
        Assert.Equal(-1, s.ARMedium);
        Assert.Equal(0.8, s.ARLarge, 12);
    }

    [Fact]
    public void Summary_HasPycocotoolsLayout()
    {
        var s = new CocoKeypointStats(0.5009901, 2.0 / 3, 0.0625, -1, 0.1875, 0.8, 1, 1, -1, 0.8);
        var lines = s.FormatSummary().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(11, lines.Length);
        Assert.Equal(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 0.501", lines[0]);
        Assert.Equal(" Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets= 20 ] = 0.667", lines[1]);
        // Python rounds exact halves to even: 0.0625 → 0.062, 0.1875 → 0.188.
        Assert.Equal(" Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets= 20 ] = 0.062", lines[2]);
        Assert.Equal(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets= 20 ] = -1.000", lines[3]);
        Assert.Equal(" Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets= 20 ] = 0.188", lines[4]);
        Assert.Equal(" Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 0.800", lines[5]);
        Assert.Equal(" Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets= 20 ] = 0.800", lines[9]);
        Assert.Equal("AP=0.501", lines[10]);
    }

    [Fact]
    public void EvaluatorSigmas_AreTheSkeletonSigmas()
    {
        for (int k = 0; k < 17; k++)
            Assert.Equal(Skeleton.Coco17.Sigmas[k], CocoKeypointEvaluator.Sigmas[k], 6);
    }

    [Fact]
    public void MalformedJson_GivesClearError()
    {
        var dir = TestData.TempDir("coco");
        var path = Path.Combine(dir, "broken_gt.json");
        File.WriteAllText(path, "{\n  \"images\": [\n    {\"id\": 1,, \"file_name\": \"a.jpg\"}\n  ]\n}\n");

        var ex = Assert.Throws<PoseTrackException>(() => CocoKeypointsFile.Load(path));

        Assert.StartsWith("broken_gt.json: malformed JSON at line 3", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Theory]
    [InlineData("keypoints", "[1, 2, 2]", "annotations[0] (id 7) 'keypoints' has 3 numbers, expected 51")]
    [InlineData("keypoints", "\"none\"", "annotations[0] (id 7) 'keypoints' must be a list of 51 numbers")]
    [InlineData("area", null, "annotations[0] (id 7) has no 'area'")]
    [InlineData("iscrowd", null, "annotations[0] (id 7) has no 'iscrowd'")]
    [InlineData("image_id", "\"x\"", "annotations[0] (id 7) 'image_id' must be an integer, found \"x\"")]
    public void BadAnnotation_NamesFileAndProblem(string field, string? rawValue, string expected)
    {
        var fields = new Dictionary<string, string>
        {
            ["id"] = "7", ["image_id"] = "1", ["category_id"] = "1", ["bbox"] = "[0, 0, 10, 10]", ["area"] = "100",
            ["iscrowd"] = "0", ["num_keypoints"] = "17",
            ["keypoints"] = "[" + string.Join(", ", Enumerable.Repeat("1, 2, 2", 17)) + "]",
        };
        if (rawValue is null) fields.Remove(field); else fields[field] = rawValue;
        string ann = "{" + string.Join(", ", fields.Select(f => $"\"{f.Key}\": {f.Value}")) + "}";
        string json = "{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\"}], \"annotations\": [" + ann + "]}";

        var ex = Assert.Throws<PoseTrackException>(() => CocoKeypointsFile.Parse(json, "gt.json"));

        Assert.Equal("gt.json: " + expected, ex.Message[..Math.Min(ex.Message.Length, 9 + expected.Length)]);
    }

    [Fact]
    public void Results_RoundTripInvariantCulture_AndForeignImageIsRejected()
    {
        var gt = CocoKeypointsFile.Load(GtPath);
        var results = Jitter(GtAsResults(gt, i => 0.1 + i / 3.0), 2.5, seed: 3);
        var path = Path.Combine(TestData.TempDir("coco"), "res.json");
        var saved = CultureInfo.CurrentCulture;
        try
        {
            // A comma-decimal culture must not leak into the file.
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            CocoResultsFile.Write(path, results);
        }
        finally { CultureInfo.CurrentCulture = saved; }

        var back = CocoResultsFile.Load(path);
        Assert.Equal(results.Count, back.Count);
        for (int i = 0; i < results.Count; i++)
        {
            Assert.Equal(results[i].ImageId, back[i].ImageId);
            Assert.Equal(results[i].Score, back[i].Score);
            Assert.Equal(results[i].Keypoints, back[i].Keypoints);
        }

        var foreign = new[] { results[0] with { ImageId = 123456 } };
        var ex = Assert.Throws<PoseTrackException>(() => CocoKeypointEvaluator.Evaluate(gt, foreign));
        Assert.Contains("image_id 123456", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CocoAgreesWithReferenceEvaluator()
    {
        string node = FindOnPath("node")
            ?? throw new InvalidOperationException(
                $"node is not on PATH; this test needs it to run the reference COCO evaluator (CI={Environment.GetEnvironmentVariable("CI") ?? "unset"}).");
        string script = TestData.Shared("tools", "cocoeval-kp.js");
        var gt = CocoKeypointsFile.Load(GtPath);

        // Noisy GT with random scores, one person dropped and a confident false positive beside another.
        var rng = new Random(11);
        var results = Jitter(GtAsResults(gt, _ => rng.NextDouble()), 6, seed: 5);
        results.RemoveAt(4);
        var fp = (double[])results[1].Keypoints.Clone();
        for (int k = 0; k < 51; k += 3) { fp[k] += 120; fp[k + 1] += 15; }
        results.Add(new CocoKeypointResult(results[1].ImageId, 1, fp, 0.97));
        var resPath = Path.Combine(TestData.TempDir("coco"), "results.json");
        CocoResultsFile.Write(resPath, results);

        var mine = CocoKeypointEvaluator.Evaluate(gt, CocoResultsFile.Load(resPath)).ToArray();

        var run = CliProcess.RunProgram(node, [script, GtPath, resPath, "--stats"], TimeSpan.FromSeconds(60));
        string stdout = run.Stdout;
        Assert.True(run.ExitCode == 0, $"reference evaluator failed ({run.ExitCode}): {run.Stderr}");

        var printed = Regex.Matches(stdout, @"\] = (-?\d+\.\d{3})\s*$", RegexOptions.Multiline)
            .Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(10, printed.Length);
        for (int i = 0; i < 10; i++)
            Assert.True(Math.Abs(printed[i] - mine[i]) <= 0.005, $"stat {i}: reference {printed[i]}, ours {mine[i]}");
        var apLine = Regex.Match(stdout, @"^AP=(-?\d+\.\d{3})", RegexOptions.Multiline);
        Assert.True(apLine.Success, "no AP= line in: " + stdout);
        Assert.True(Math.Abs(double.Parse(apLine.Groups[1].Value, CultureInfo.InvariantCulture) - mine[0]) <= 0.005);
        Assert.True(mine[0] is > 0.05 and < 0.95, $"AP {mine[0]} is degenerate; the case should exercise misses and false positives");
    }

    private static string? FindOnPath(string exe)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, exe);
            if (File.Exists(candidate)) return candidate;
            if (OperatingSystem.IsWindows() && File.Exists(candidate + ".exe")) return candidate + ".exe";
        }
        return null;
    }
}
