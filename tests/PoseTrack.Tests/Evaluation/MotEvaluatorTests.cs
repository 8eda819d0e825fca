using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using PoseTrack.Core;
using PoseTrack.Evaluation;
using PoseTrack.Sinks;
using Xunit;

namespace PoseTrack.Tests.Evaluation;

public class MotEvaluatorTests
{
    private static string TudGt => TestData.Shared("data", "tracking", "TUD-Campus", "gt", "gt.txt");

    private static IReadOnlyList<MotRecord> ReadGt() => MotFile.Read(TudGt, MotFileKind.GroundTruth);

    // ---------------------------------------------------------------- CLEAR-MOT / IDF1

    [Fact]
    public void HypothesisEqualToGroundTruthScoresPerfectly()
    {
        var gt = ReadGt();
        Assert.Equal(359, gt.Count);
        var m = MotEvaluator.Evaluate(gt, gt);
        Assert.Equal(1.0, m.Mota);
        Assert.Equal(1.0, m.Idf1);
        Assert.Equal(1.0, m.Motp);
        Assert.Equal(1.0, m.Idp);
        Assert.Equal(1.0, m.Idr);
        Assert.Equal((0, 0, 0, 359, 359, 359), (m.FalseNegatives, m.FalsePositives, m.IdSwitches, m.Matches, m.GtCount, m.IdTruePositives));
        Assert.Equal((71, 8, 8), (m.Frames, m.GtTracks, m.HypTracks));
        Assert.Equal("MOTA=1.000000 IDF1=1.000000 IDSW=0 MOTP=1.000000 FN=0 FP=0 GT=359", m.ToString().Split('\n')[^1]);
    }

    [Fact]
    public void SwappingTwoTracksMidSequenceCountsTwoSwitches()
    {
        // Two people far apart for 10 frames; the tracker swaps their ids from frame 6 on.
        var gt = new List<MotRecord>();
        var hyp = new List<MotRecord>();
        for (int f = 1; f <= 10; f++)
        {
            var a = new MotRecord(f, 1, 10 + f, 10, 50, 100, 1);
            var b = new MotRecord(f, 2, 300 + f, 10, 50, 100, 1);
            gt.Add(a); gt.Add(b);
            hyp.Add(a with { Id = f <= 5 ? 10 : 20 });
            hyp.Add(b with { Id = f <= 5 ? 20 : 10 });
        }
        var m = MotEvaluator.Evaluate(gt, hyp);
        Assert.Equal(2, m.IdSwitches);
        Assert.Equal((0, 0, 20), (m.FalseNegatives, m.FalsePositives, m.Matches));
        Assert.Equal(1 - 2.0 / 20, m.Mota, 12);
        Assert.Equal(10, m.IdTruePositives);   // each GT track keeps its id for 5 of its 10 frames
        Assert.Equal(0.5, m.Idf1, 12);
    }

    [Fact]
    public void KeptCorrespondenceWinsOverABetterFittingNewcomer()
    {
        // Frame 2 has a second hypothesis that fits the GT box better, but the established match still has
        // IoU ≥ 0.5, so it is kept: no switch, and the newcomer is a false positive.
        var gt = new[] { new MotRecord(1, 1, 0, 0, 100, 100, 1), new MotRecord(2, 1, 0, 0, 100, 100, 1) };
        var hyp = new[]
        {
            new MotRecord(1, 7, 0, 0, 100, 100, 1),
            new MotRecord(2, 7, 20, 0, 100, 100, 1),   // IoU 80/120 = 0.667
            new MotRecord(2, 8, 0, 0, 100, 100, 1),    // IoU 1
        };
        var m = MotEvaluator.Evaluate(gt, hyp);
        Assert.Equal((0, 1, 0, 2), (m.IdSwitches, m.FalsePositives, m.FalseNegatives, m.Matches));
        Assert.Equal((1 + 80.0 / 120) / 2, m.Motp, 12);
    }

    [Fact]
    public void BelowHalfIoUNeverMatches()
    {
        var gt = new[] { new MotRecord(1, 1, 0, 0, 100, 100, 1) };
        var hyp = new[] { new MotRecord(1, 1, 34, 0, 100, 100, 1) };   // IoU 66/134 < 0.5
        var m = MotEvaluator.Evaluate(gt, hyp);
        Assert.Equal((1, 1, 0), (m.FalseNegatives, m.FalsePositives, m.Matches));
        Assert.Equal(-1.0, m.Mota);
        Assert.True(double.IsNaN(m.Motp));
        Assert.Equal(0.0, m.Idf1);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(40)]
    public void DroppingKBoxesGivesKFalseNegatives(int k)
    {
        var gt = ReadGt();
        // Every 9th row: spread over tracks and frames, so tracks get gaps and resume under the same id.
        var dropped = gt.Where((_, i) => i % 9 == 4).Take(k).ToHashSet();
        Assert.Equal(k, dropped.Count);
        var hyp = gt.Where(r => !dropped.Contains(r)).ToList();
        var m = MotEvaluator.Evaluate(gt, hyp);
        Assert.Equal((k, 0, 0), (m.FalseNegatives, m.FalsePositives, m.IdSwitches));
        Assert.Equal(1 - k / 359.0, m.Mota, 12);
        Assert.Equal(2.0 * (359 - k) / (359 + 359 - k), m.Idf1, 12);
    }

    [Fact]
    public void EvaluatorRejectsDuplicateIdsInAFrame()
    {
        var r = new MotRecord(3, 5, 0, 0, 10, 10, 1);
        var e = Assert.Throws<ArgumentException>(() => MotEvaluator.Evaluate([r, r with { X = 50 }], []));
        Assert.Contains("id 5 occurs twice in frame 3", e.Message);
    }

    // ---------------------------------------------------------------- Hungarian

    [Fact]
    public void HungarianSolvesSquareMatrix()
    {
        double[,] c = { { 4, 1, 3 }, { 2, 0, 5 }, { 3, 2, 2 } };
        Assert.Equal([1, 0, 2], HungarianSolver.Solve(c));   // 1 + 2 + 2 = 5
    }

    [Fact]
    public void HungarianSolvesWideAndTallMatrices()
    {
        double[,] wide = { { 9, 2, 7, 8 }, { 6, 4, 3, 7 } };
        Assert.Equal([1, 2], HungarianSolver.Solve(wide));
        double[,] tall = { { 9, 6 }, { 2, 4 }, { 7, 3 }, { 8, 7 } };
        Assert.Equal([-1, 0, 1, -1], HungarianSolver.Solve(tall));
        Assert.Empty(HungarianSolver.Solve(new double[0, 3]));
        Assert.Equal([-1, -1], HungarianSolver.Solve(new double[2, 0]));
    }

    [Fact]
    public void HungarianWithForbiddenPairsMaximisesPairsFirst()
    {
        // Cheapest would be (0,0) alone, but two allowed pairs beat one.
        double n = double.NaN;
        double[,] c = { { 0.1, 0.4 }, { 0.2, n } };
        Assert.Equal([(0, 1), (1, 0)], HungarianSolver.SolveWithForbidden(c));
        double[,] none = { { n, n }, { n, double.PositiveInfinity } };
        Assert.Empty(HungarianSolver.SolveWithForbidden(none));
        double[,] one = { { n, 0.3 }, { n, 0.1 } };
        Assert.Equal([(1, 1)], HungarianSolver.SolveWithForbidden(one));
    }

    [Fact]
    public void HungarianMatchesBruteForceOnRandomMatrices()
    {
        var rng = new Random(12345);
        for (int trial = 0; trial < 300; trial++)
        {
            int rows = rng.Next(1, 6), cols = rng.Next(1, 6);
            var c = new double[rows, cols];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                    c[i, j] = trial % 2 == 0 ? rng.Next(0, 4) : rng.NextDouble() * 10 - 5;   // ties in even trials
            var got = HungarianSolver.Solve(c);
            Assert.Equal(Math.Min(rows, cols), got.Count(j => j >= 0));
            Assert.Equal(got.Where(j => j >= 0).Count(), got.Where(j => j >= 0).Distinct().Count());
            double cost = 0;
            for (int i = 0; i < rows; i++) if (got[i] >= 0) cost += c[i, got[i]];
            Assert.Equal(BruteForceMin(c), cost, 9);
        }
    }

    private static double BruteForceMin(double[,] c)
    {
        int rows = c.GetLength(0), cols = c.GetLength(1);
        double best = double.PositiveInfinity;
        var used = new bool[Math.Max(rows, cols)];
        void Go(int i, double sum)
        {
            // Assign the smaller side completely: rows when rows ≤ cols, else columns.
            int small = Math.Min(rows, cols), large = Math.Max(rows, cols);
            if (i == small) { best = Math.Min(best, sum); return; }
            for (int k = 0; k < large; k++)
            {
                if (used[k]) continue;
                used[k] = true;
                Go(i + 1, sum + (rows <= cols ? c[i, k] : c[k, i]));
                used[k] = false;
            }
        }
        Go(0, 0);
        return best;
    }

    // ---------------------------------------------------------------- MOT files

    [Fact]
    public void GroundTruthFiltersConfidenceZeroAndOtherClasses()
    {
        const string text = """
            1,1,10,20,30,40,1,1,1
            1,2,10,20,30,40,0,1,1
            1,3,10,20,30,40,1,7,0.5
            1,4,10,20,30,40,1,-1,-1,-1
            2,1,10.5,20,30,40

            2 5 1 2 3 4 0.9
            """;
        var gt = MotFile.Parse(new StringReader(text), "gt.txt", MotFileKind.GroundTruth);
        Assert.Equal([(1, 1), (1, 4), (2, 1), (2, 5)], gt.Select(r => (r.Frame, r.Id)));
        Assert.Equal(new MotRecord(2, 1, 10.5, 20, 30, 40, 1), gt[2]);
        Assert.Equal(5, MotFile.Parse(new StringReader(text), "gt.txt", MotFileKind.GroundTruth, classFilter: false).Count);
        Assert.Equal(6, MotFile.Parse(new StringReader(text), "hyp.txt", MotFileKind.Hypothesis).Count);
    }

    [Theory]
    [InlineData("1,1,10,20,30,40\n1,2,10,20,30", "f.txt:2: expected 6 to 10 columns (frame,id,x,y,w,h[,conf,...]), got 5")]
    [InlineData("1,1,10,20,30,40,1,-1,-1,-1,0", "f.txt:1: expected 6 to 10 columns (frame,id,x,y,w,h[,conf,...]), got 11")]
    [InlineData("\n\n1,1,10,abc,30,40", "f.txt:3: column 4 ('abc') is not a number")]
    [InlineData("1,1,10,NaN,30,40", "f.txt:1: column 4 ('NaN') is not a number")]
    [InlineData("1,1,10,20,,40", "f.txt:1: column 5 is empty")]
    [InlineData("1,1,10,20,-3,40", "f.txt:1: negative width -3")]
    [InlineData("1,1,10,20,3,-0.5", "f.txt:1: negative height -0.5")]
    [InlineData("1,1,10,20,3,4\n0,1,10,20,30,40", "f.txt:2: frame must be 1 or more (frames are 1-based), got 0")]
    [InlineData("1.5,1,10,20,30,40", "f.txt:1: frame must be a whole number, got 1.5")]
    [InlineData("4,9,10,20,30,40\n4,9,1,2,3,4", "f.txt:2: id 9 appears twice in frame 4 (first on line 1)")]
    public void BadLinesAreReportedWithFileAndLine(string text, string message)
    {
        var e = Assert.Throws<PoseTrackException>(() => MotFile.Parse(new StringReader(text), "f.txt", MotFileKind.Hypothesis));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void MissingFileIsAUserError()
    {
        var path = Path.Combine(TestData.TempDir(), "nope.txt");
        var e = Assert.Throws<PoseTrackException>(() => MotFile.Read(path, MotFileKind.GroundTruth));
        Assert.StartsWith($"cannot read ground-truth file '{path}'", e.Message);
    }

    [Fact]
    public void WriterRoundTripsAndFlushesPerFrame()
    {
        var path = Path.Combine(TestData.TempDir(), "hyp.txt");
        var rows = new List<(int Frame, int Id, BoxF Box, float Score)>
        {
            (1, 1, new BoxF(10.25f, 20.1f, 30.333f, 40f), 0.9f),
            (1, 2, new BoxF(0f, 1e-5f, 123456.79f, 0.1f), 0.123456789f),
            (2, 1, new BoxF(-5.5f, 7f, 0f, 3f), 1f),
            (3, 4, new BoxF(1f, 2f, 3f, 4f), 0f),
        };
        using (var w = new MotWriter(path))
        {
            w.Write(rows[0].Frame, rows[0].Id, rows[0].Box, rows[0].Score);
            w.Write(rows[1].Frame, rows[1].Id, rows[1].Box, rows[1].Score);
            w.EndFrame();
            Assert.Equal(2, ReadShared(path).Length);
            w.Write(rows[2].Frame, rows[2].Id, rows[2].Box, rows[2].Score);
            Assert.Equal(2, ReadShared(path).Length);   // frame 2 is still in flight
            w.Write(rows[3].Frame, rows[3].Id, rows[3].Box, rows[3].Score);
            Assert.Equal(3, ReadShared(path).Length);   // starting frame 3 flushed frame 2
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal("1,1,10.25,20.1,30.333,40,0.9,-1,-1,-1", lines[0]);
        var back = MotFile.Read(path, MotFileKind.Hypothesis);
        Assert.Equal(rows, back.Select(r => (r.Frame, r.Id, r.Box, (float)r.Score)));
    }

    [Fact]
    public void WriterRejectsRowsTheReaderWouldReject()
    {
        using var w = new MotWriter(new StringWriter());
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Write(0, 1, new BoxF(0, 0, 1, 1), 1));
        Assert.Throws<ArgumentException>(() => w.Write(1, 1, new BoxF(0, 0, -1, 1), 1));
        Assert.Throws<ArgumentException>(() => w.Write(1, 1, new BoxF(float.NaN, 0, 1, 1), 1));
        Assert.Throws<ArgumentException>(() => w.Write(1, 1, new BoxF(0, 0, 1, 1), float.PositiveInfinity));
    }

    private static string[] ReadShared(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var sr = new StreamReader(fs);
        return sr.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    // ---------------------------------------------------------------- reference evaluator

    [Fact]
    public void AgreesWithReferenceEvaluatorOnPerturbedTracks()
    {
        var gt = ReadGt();
        var dir = TestData.TempDir();
        var hypPath = Path.Combine(dir, "hyp.txt");
        using (var w = new MotWriter(hypPath))
        {
            foreach (var frame in MotScenario.Perturb(gt, seed: 7).GroupBy(r => r.Frame).OrderBy(g => g.Key))
            {
                foreach (var r in frame) w.Write(r.Frame, r.Id, r.Box, (float)r.Score);
                w.EndFrame();
            }
        }

        var mine = MotEvaluator.EvaluateFiles(TudGt, hypPath);
        var reference = RunReference(TudGt, hypPath);

        // The scenario must exercise every error kind, or agreement proves little.
        Assert.True(mine is { FalseNegatives: > 0, FalsePositives: > 0, IdSwitches: >= 3 }, mine.ToString());
        Assert.Equal(reference["GT"], mine.GtCount);
        Assert.Equal(reference["FN"], mine.FalseNegatives);
        Assert.Equal(reference["FP"], mine.FalsePositives);
        Assert.Equal(reference["IDSW"], mine.IdSwitches);
        Assert.Equal(reference["MOTA"], mine.Mota, 1e-6);
        Assert.Equal(reference["MOTP"], mine.Motp, 1e-6);
        Assert.Equal(reference["IDF1"], mine.Idf1, 1e-6);
    }

    // Runs `node mota.js GT HYP` and parses `MOTA=… MOTP=… IDF1=… FN=… FP=… IDSW=… GT=…`.
    private static Dictionary<string, double> RunReference(string gt, string hyp)
    {
        var script = TestData.Shared("tools", "mota.js");
        var r = CliProcess.RunProgram("node", [script, gt, hyp], TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0, $"mota.js exited {r.ExitCode}: {r.Stderr}");
        return r.Stdout.Trim().Split(' ')
            .Select(kv => kv.Split('='))
            .ToDictionary(kv => kv[0], kv => double.Parse(kv[1], CultureInfo.InvariantCulture));
    }
}

/// <summary>Builds tracker-like output from ground truth with every kind of tracking error, reproducibly.</summary>
internal static class MotScenario
{
    public static List<MotRecord> Perturb(IReadOnlyList<MotRecord> gt, int seed)
    {
        var rng = new Random(seed);
        double Noise(double scale) => (rng.NextDouble() * 2 - 1) * scale;
        var hyp = new List<MotRecord>();
        int nextId = 100;
        foreach (var r in gt)
        {
            var h = r with { Score = Math.Round(0.5 + rng.NextDouble() / 2, 3) };
            if (r.Id == 3 && r.Frame is >= 20 and <= 25) continue;                 // dropped for a while, same id after
            if (r.Id == 7 && r.Frame >= 50) continue;                              // lost for good
            if (r.Id == 4 && r.Frame >= 36) h = h with { Id = 5 };                 // 4 and 5 swap ids mid-sequence
            else if (r.Id == 5 && r.Frame >= 36) h = h with { Id = 4 };
            if (r.Id == 2 && r.Frame >= 30) h = h with { Id = 102 };               // fragmented: new id
            if (r.Id == 8 && r.Frame % 7 == 0) h = h with { Id = 108 };            // flickers to another id
            // Jitter, sometimes strong enough to push IoU under 0.5.
            double s = rng.NextDouble() < 0.1 ? 0.3 : 0.05;
            h = h with
            {
                X = Math.Round(h.X + Noise(s * h.Width), 2),
                Y = Math.Round(h.Y + Noise(s * h.Height), 2),
                Width = Math.Round(h.Width * (1 + Noise(s)), 2),
                Height = Math.Round(h.Height * (1 + Noise(s)), 2),
            };
            hyp.Add(h);
            if (rng.NextDouble() < 0.08)                                           // a near-duplicate competes for the match
                hyp.Add(h with { Id = nextId++ + 1000, X = h.X + Math.Round(Noise(0.2 * h.Width), 2) });
        }
        foreach (int frame in gt.Select(r => r.Frame).Distinct())
            if (rng.NextDouble() < 0.3)                                            // a false box somewhere
                hyp.Add(new MotRecord(frame, 900 + rng.Next(3), Math.Round(rng.NextDouble() * 500, 1),
                    Math.Round(rng.NextDouble() * 300, 1), 60, 150, 0.3));
        return hyp;
    }
}
