using System.Globalization;
using System.Numerics;
using System.Text;
using PoseTrack.Core;

namespace PoseTrack.Evaluation;

/// <summary>The ten standard COCO keypoint numbers. A value of -1 means "no ground truth in that range".</summary>
/// <param name="AP">AP averaged over OKS .50:.05:.95, all areas.</param>
/// <param name="AP50">AP at OKS .50.</param>
/// <param name="AP75">AP at OKS .75.</param>
/// <param name="APMedium">AP for medium persons (32² to 96² px area).</param>
/// <param name="APLarge">AP for large persons (over 96² px area).</param>
/// <param name="AR">Recall averaged over OKS .50:.05:.95 (at most 20 detections per image).</param>
/// <param name="AR50">Recall at OKS .50.</param>
/// <param name="AR75">Recall at OKS .75.</param>
/// <param name="ARMedium">Recall for medium persons.</param>
/// <param name="ARLarge">Recall for large persons.</param>
public sealed record CocoKeypointStats(
    double AP, double AP50, double AP75, double APMedium, double APLarge,
    double AR, double AR50, double AR75, double ARMedium, double ARLarge)
{
    /// <summary>The ten numbers in pycocotools' <c>stats</c> order.</summary>
    public double[] ToArray() => [AP, AP50, AP75, APMedium, APLarge, AR, AR50, AR75, ARMedium, ARLarge];

    /// <summary>
    /// The ten lines pycocotools' <c>summarize()</c> prints for keypoints, then a final line <c>AP=0.xxx</c>.
    /// Lines end with '\n'.
    /// </summary>
    public string FormatSummary()
    {
        var v = ToArray();
        var sb = new StringBuilder();
        for (int i = 0; i < 10; i++)
        {
            bool ap = i < 5;
            string iou = (i % 5) switch { 1 => "0.50", 2 => "0.75", _ => "0.50:0.95" };
            string area = (i % 5) switch { 3 => "medium", 4 => "large", _ => "all" };
            sb.Append(' ')
              .Append((ap ? "Average Precision" : "Average Recall").PadRight(18)).Append(' ')
              .Append(ap ? "(AP)" : "(AR)")
              .Append(" @[ IoU=").Append(iou.PadRight(9))
              .Append(" | area=").Append(area.PadLeft(6))
              .Append(" | maxDets=").Append(CocoKeypointEvaluator.MaxDetections.ToString(CultureInfo.InvariantCulture).PadLeft(3))
              .Append(" ] = ").Append(CocoKeypointEvaluator.Format3(v[i])).Append('\n');
        }
        sb.Append("AP=").Append(CocoKeypointEvaluator.Format3(AP)).Append('\n');
        return sb.ToString();
    }
}

/// <summary>
/// COCO keypoint evaluation with the semantics of pycocotools <c>COCOeval(iouType='keypoints')</c>:
/// OKS with the COCO-17 sigmas, area ranges all/medium/large, 20 detections per image, OKS thresholds
/// .50:.05:.95 and 101-point interpolated precision. Arithmetic is float64 throughout and sums are
/// grouped like numpy's, so the numbers agree with pycocotools to the last bits rather than "about".
/// </summary>
public static class CocoKeypointEvaluator
{
    /// <summary>Detections kept per image (the highest-scoring ones).</summary>
    public const int MaxDetections = 20;

    // COCO sigmas as float64 tenths, exactly as pycocotools spells them (Skeleton.Coco17.Sigmas holds the
    // same values in float, which would move the last digits).
    internal static readonly double[] Sigmas =
        [.26 / 10.0, .25 / 10.0, .25 / 10.0, .35 / 10.0, .35 / 10.0, .79 / 10.0, .79 / 10.0, .72 / 10.0, .72 / 10.0,
         .62 / 10.0, .62 / 10.0, 1.07 / 10.0, 1.07 / 10.0, .87 / 10.0, .87 / 10.0, .89 / 10.0, .89 / 10.0];

    private static readonly double[] Vars = Sigmas.Select(s => (s * 2) * (s * 2)).ToArray();

    /// <summary>OKS thresholds .50:.05:.95, built like numpy.linspace so that .50 and .75 compare equal.</summary>
    internal static readonly double[] IouThresholds = Linspace(0.5, 0.95, 10);

    /// <summary>Recall points 0:.01:1.</summary>
    internal static readonly double[] RecallThresholds = Linspace(0.0, 1.0, 101);

    // all, medium, large. pycocotools writes 1e5**2 for "no upper limit".
    private static readonly (double Lo, double Hi)[] AreaRanges = [(0, 1e10), (32 * 32, 96 * 96), (96 * 96, 1e10)];

    // numpy's np.spacing(1): keeps the OKS and precision divisions finite.
    private const double Eps = 2.220446049250313e-16;

    /// <summary>
    /// Evaluates keypoint <paramref name="results"/> against <paramref name="groundTruth"/>.
    /// </summary>
    /// <param name="groundTruth">The GT file.</param>
    /// <param name="results">Detections; those on images outside the evaluated set or of other categories are dropped.</param>
    /// <param name="imageIds">Images to evaluate; null = every image of the GT file (pycocotools' default).
    /// Pass the ids of the images actually processed when only part of a set was run.</param>
    /// <exception cref="PoseTrackException">A result names an image the GT file does not have, or has a bad keypoint count.</exception>
    public static CocoKeypointStats Evaluate(CocoKeypointsFile groundTruth, IEnumerable<CocoKeypointResult> results,
        IEnumerable<long>? imageIds = null)
    {
        ArgumentNullException.ThrowIfNull(groundTruth);
        ArgumentNullException.ThrowIfNull(results);
        int nk = CocoKeypointsFile.JointCount;

        // Detections get ids 1..n in input order like pycocotools' loadRes; matching stores these ids.
        var dets = new List<Det>();
        foreach (var r in results)
        {
            int index = dets.Count;
            if (groundTruth.FindImage(r.ImageId) is null)
                throw new PoseTrackException(
                    $"results[{index}]: image_id {r.ImageId} is not an image of {groundTruth.Source}; the results do not belong to this ground truth");
            if (r.Keypoints.Length != 3 * nk)
                throw new PoseTrackException($"results[{index}]: {r.Keypoints.Length} keypoint numbers, expected {3 * nk}");
            // The detection's area is the extent of all its keypoints (pycocotools makes its box that way).
            double x0 = double.PositiveInfinity, x1 = double.NegativeInfinity, y0 = double.PositiveInfinity, y1 = double.NegativeInfinity;
            for (int k = 0; k < nk; k++)
            {
                double x = r.Keypoints[3 * k], y = r.Keypoints[3 * k + 1];
                x0 = Math.Min(x0, x); x1 = Math.Max(x1, x); y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
            }
            dets.Add(new Det(index + 1, r.ImageId, r.CategoryId, r.Keypoints, r.Score, (x1 - x0) * (y1 - y0)));
        }

        long[] imgs = (imageIds ?? groundTruth.Images.Select(im => im.Id)).Distinct().Order().ToArray();
        int[] cats = groundTruth.CategoryIds.ToArray();
        var imgIndex = new Dictionary<long, int>(imgs.Length);
        for (int i = 0; i < imgs.Length; i++) imgIndex[imgs[i]] = i;
        var catIndex = new Dictionary<int, int>(cats.Length);
        for (int c = 0; c < cats.Length; c++) catIndex[cats[c]] = c;

        // Per (category, image): GT in file order and detections in input order.
        int cellCount = cats.Length * imgs.Length;
        var gts = new List<Gt>?[cellCount];
        var dts = new List<Det>?[cellCount];
        foreach (var a in groundTruth.Annotations)
        {
            if (!imgIndex.TryGetValue(a.ImageId, out int ii) || !catIndex.TryGetValue(a.CategoryId, out int ci)) continue;
            // Crowd regions and persons without labelled keypoints can be matched but never count.
            bool ignore = a.IsCrowd || a.NumKeypoints == 0;
            (gts[ci * imgs.Length + ii] ??= []).Add(new Gt(a, ignore));
        }
        foreach (var d in dets)
        {
            if (!imgIndex.TryGetValue(d.ImageId, out int ii) || !catIndex.TryGetValue(d.CategoryId, out int ci)) continue;
            (dts[ci * imgs.Length + ii] ??= []).Add(d);
        }

        // OKS per cell, detections best-first (stable), at most MaxDetections of them.
        var sortedDts = new Det[cellCount][];
        var oks = new double[cellCount][,];
        for (int cell = 0; cell < cellCount; cell++)
        {
            var ds = dts[cell];
            sortedDts[cell] = ds is null ? [] : ds.OrderByDescending(d => d.Score).Take(MaxDetections).ToArray();
            var gs = gts[cell];
            var m = new double[sortedDts[cell].Length, gs?.Count ?? 0];
            if (gs is not null)
                for (int di = 0; di < sortedDts[cell].Length; di++)
                    for (int gi = 0; gi < gs.Count; gi++)
                        m[di, gi] = ComputeOks(sortedDts[cell][di].Keypoints, gs[gi].Ann);
            oks[cell] = m;
        }

        int T = IouThresholds.Length, R = RecallThresholds.Length, K = cats.Length, A = AreaRanges.Length;
        var precision = new double[T, R, K, A];
        var recall = new double[T, K, A];
        // -1 marks "undefined" (no counted GT) and is left out of the means.
        for (int t = 0; t < T; t++)
            for (int k = 0; k < K; k++)
                for (int a = 0; a < A; a++)
                {
                    recall[t, k, a] = -1;
                    for (int r = 0; r < R; r++) precision[t, r, k, a] = -1;
                }

        for (int k = 0; k < K; k++)
            for (int a = 0; a < A; a++)
            {
                var evals = new List<ImageEval>();
                for (int i = 0; i < imgs.Length; i++)
                {
                    int cell = k * imgs.Length + i;
                    var e = EvaluateImage(gts[cell], sortedDts[cell], oks[cell], AreaRanges[a]);
                    if (e is not null) evals.Add(e);
                }
                Accumulate(evals, k, a, precision, recall);
            }

        return new CocoKeypointStats(
            MeanPrecision(precision, null, 0), MeanPrecision(precision, 0.5, 0), MeanPrecision(precision, 0.75, 0),
            MeanPrecision(precision, null, 1), MeanPrecision(precision, null, 2),
            MeanRecall(recall, null, 0), MeanRecall(recall, 0.5, 0), MeanRecall(recall, 0.75, 0),
            MeanRecall(recall, null, 1), MeanRecall(recall, null, 2));
    }

    /// <summary>
    /// COCO OKS of a detection (flat [x, y, s] × 17) against one GT annotation. Joints the GT did not label are
    /// left out. A GT with no labelled joint is scored by each joint's distance to the GT box grown by its own
    /// size on every side (a box three times as wide and high), so a detection there is not a free match.
    /// </summary>
    internal static double ComputeOks(ReadOnlySpan<double> dt, CocoKeypointAnnotation gt)
    {
        int nk = CocoKeypointsFile.JointCount;
        var g = gt.Keypoints;
        int labelled = 0;
        for (int k = 0; k < nk; k++) if (g[3 * k + 2] > 0) labelled++;
        var b = gt.Bbox;
        double bx0 = b.X - b.Width, bx1 = b.X + b.Width * 2;
        double by0 = b.Y - b.Height, by1 = b.Y + b.Height * 2;
        Span<double> terms = stackalloc double[nk];
        int n = 0;
        for (int k = 0; k < nk; k++)
        {
            double xd = dt[3 * k], yd = dt[3 * k + 1], dx, dy;
            if (labelled > 0)
            {
                if (!(g[3 * k + 2] > 0)) continue;
                dx = xd - g[3 * k];
                dy = yd - g[3 * k + 1];
            }
            else
            {
                dx = Math.Max(0.0, bx0 - xd) + Math.Max(0.0, xd - bx1);
                dy = Math.Max(0.0, by0 - yd) + Math.Max(0.0, yd - by1);
            }
            // Same operation order as pycocotools, so rounding matches.
            double e = (dx * dx + dy * dy) / Vars[k] / (gt.Area + Eps) / 2;
            terms[n++] = Math.Exp(-e);
        }
        return PairwiseSum(terms[..n]) / n;
    }

    private sealed record Det(int Id, long ImageId, int CategoryId, double[] Keypoints, double Score, double Area);

    private sealed record Gt(CocoKeypointAnnotation Ann, bool Ignore);

    /// <summary>Per image and area range: detection scores, and per threshold the matched GT id and ignore flag.</summary>
    private sealed record ImageEval(double[] DtScores, long[][] DtMatch, bool[][] DtIgnore, bool[] GtIgnore);

    private static ImageEval? EvaluateImage(List<Gt>? gtAll, Det[] dt, double[,] oks, (double Lo, double Hi) range)
    {
        gtAll ??= [];
        if (gtAll.Count == 0 && dt.Length == 0) return null;

        // GT outside the area range is ignored too; ignored GT go last (stable) so a detection prefers a real one.
        var ignoreAll = gtAll.Select(g => g.Ignore || g.Ann.Area < range.Lo || g.Ann.Area > range.Hi).ToArray();
        int[] order = Enumerable.Range(0, gtAll.Count).OrderBy(i => ignoreAll[i] ? 1 : 0).ToArray();
        var gtIg = order.Select(i => ignoreAll[i]).ToArray();
        var gt = order.Select(i => gtAll[i].Ann).ToArray();

        int T = IouThresholds.Length, G = gt.Length, D = dt.Length;
        var gtMatch = new int[T][];
        var dtMatch = new long[T][];
        var dtIg = new bool[T][];
        for (int t = 0; t < T; t++) { gtMatch[t] = new int[G]; dtMatch[t] = new long[D]; dtIg[t] = new bool[D]; }

        if (G > 0 && D > 0)
            for (int t = 0; t < T; t++)
                for (int di = 0; di < D; di++)
                {
                    // Greedy: each detection, best first, takes the free GT with the highest OKS over the threshold.
                    double best = Math.Min(IouThresholds[t], 1 - 1e-10);
                    int m = -1;
                    for (int gi = 0; gi < G; gi++)
                    {
                        // A crowd GT may absorb any number of detections.
                        if (gtMatch[t][gi] > 0 && !gt[gi].IsCrowd) continue;
                        // Once matched to a real GT, stop before the ignored ones (they are sorted last).
                        if (m > -1 && !gtIg[m] && gtIg[gi]) break;
                        double o = oks[di, order[gi]];
                        if (o < best) continue;
                        best = o;
                        m = gi;
                    }
                    if (m == -1) continue;
                    dtIg[t][di] = gtIg[m];
                    // pycocotools records the GT id and later tests it for non-zero, so a match to a GT with
                    // id 0 counts as no match; we keep that quirk to give the same numbers.
                    dtMatch[t][di] = gt[m].Id;
                    gtMatch[t][m] = dt[di].Id;
                }

        // An unmatched detection outside the area range is not held against this range.
        for (int di = 0; di < D; di++)
        {
            bool outside = dt[di].Area < range.Lo || dt[di].Area > range.Hi;
            if (!outside) continue;
            for (int t = 0; t < T; t++) if (dtMatch[t][di] == 0) dtIg[t][di] = true;
        }
        return new ImageEval(dt.Select(d => d.Score).ToArray(), dtMatch, dtIg, gtIg);
    }

    private static void Accumulate(List<ImageEval> evals, int k, int a, double[,,,] precision, double[,,] recall)
    {
        if (evals.Count == 0) return;
        // Detections of all images together, best first; ties keep image order, then per-image order.
        var scores = evals.SelectMany(e => e.DtScores.Take(MaxDetections)).ToArray();
        int[] order = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ToArray();
        int countedGt = evals.Sum(e => e.GtIgnore.Count(ig => !ig));
        if (countedGt == 0) return; // precision and recall stay -1: undefined for this range

        int nd = order.Length;
        var tp = new double[nd];
        var fp = new double[nd];
        var rc = new double[nd];
        var pr = new double[nd];
        for (int t = 0; t < IouThresholds.Length; t++)
        {
            var match = evals.SelectMany(e => e.DtMatch[t].Take(MaxDetections)).ToArray();
            var ignore = evals.SelectMany(e => e.DtIgnore[t].Take(MaxDetections)).ToArray();
            double ctp = 0, cfp = 0;
            for (int n = 0; n < nd; n++)
            {
                int j = order[n];
                if (!ignore[j])
                {
                    if (match[j] != 0) ctp++;
                    else cfp++;
                }
                tp[n] = ctp;
                fp[n] = cfp;
                rc[n] = ctp / countedGt;
                pr[n] = ctp / (cfp + ctp + Eps);
            }
            recall[t, k, a] = nd > 0 ? rc[nd - 1] : 0;

            // Precision envelope: each point takes the best precision at any higher recall.
            for (int n = nd - 1; n > 0; n--)
                if (pr[n] > pr[n - 1]) pr[n - 1] = pr[n];

            for (int r = 0; r < RecallThresholds.Length; r++)
            {
                int p = LowerBound(rc, RecallThresholds[r]);
                // Recall points beyond the highest recall reached score 0.
                precision[t, r, k, a] = p < nd ? pr[p] : 0;
            }
        }
    }

    private static double MeanPrecision(double[,,,] precision, double? iouThr, int a)
    {
        var vals = new List<double>();
        foreach (int t in ThresholdIndices(iouThr))
            for (int r = 0; r < precision.GetLength(1); r++)
                for (int k = 0; k < precision.GetLength(2); k++)
                    if (precision[t, r, k, a] > -1) vals.Add(precision[t, r, k, a]);
        return vals.Count == 0 ? -1 : PairwiseSum(vals.ToArray()) / vals.Count;
    }

    private static double MeanRecall(double[,,] recall, double? iouThr, int a)
    {
        var vals = new List<double>();
        foreach (int t in ThresholdIndices(iouThr))
            for (int k = 0; k < recall.GetLength(1); k++)
                if (recall[t, k, a] > -1) vals.Add(recall[t, k, a]);
        return vals.Count == 0 ? -1 : PairwiseSum(vals.ToArray()) / vals.Count;
    }

    private static IEnumerable<int> ThresholdIndices(double? iouThr) =>
        Enumerable.Range(0, IouThresholds.Length).Where(t => iouThr is null || IouThresholds[t] == iouThr.Value);

    /// <summary>First index whose value is ≥ <paramref name="v"/> (numpy searchsorted, side='left').</summary>
    private static int LowerBound(double[] sorted, double v)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < v) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>numpy.linspace with endpoint: start + i·step, last value exactly <paramref name="stop"/>.</summary>
    private static double[] Linspace(double start, double stop, int num)
    {
        double step = (stop - start) / (num - 1);
        var y = new double[num];
        for (int i = 0; i < num; i++) y[i] = i * step + start;
        y[num - 1] = stop;
        return y;
    }

    /// <summary>
    /// Sum with numpy's pairwise grouping (8 running partial sums, halves above 128 values), so the means
    /// round exactly like pycocotools' np.mean and a borderline third decimal prints the same.
    /// </summary>
    internal static double PairwiseSum(ReadOnlySpan<double> a)
    {
        int n = a.Length;
        if (n < 8)
        {
            double s = 0;
            foreach (var v in a) s += v;
            return s;
        }
        if (n <= 128)
        {
            Span<double> r = stackalloc double[8];
            a[..8].CopyTo(r);
            int i = 8;
            for (; i < n - n % 8; i += 8)
                for (int j = 0; j < 8; j++) r[j] += a[i + j];
            double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) res += a[i];
            return res;
        }
        int half = n / 2;
        half -= half % 8;
        return PairwiseSum(a[..half]) + PairwiseSum(a[half..]);
    }

    /// <summary>
    /// <paramref name="x"/> with three decimals the way Python's '{:0.3f}' prints it: correctly rounded from the
    /// exact binary value, exact halves to even (.NET's "F3" rounds halves away from zero).
    /// </summary>
    internal static string Format3(double x)
    {
        if (!double.IsFinite(x)) return x.ToString(CultureInfo.InvariantCulture);
        bool negative = double.IsNegative(x);
        long bits = BitConverter.DoubleToInt64Bits(Math.Abs(x));
        int exp = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & 0xF_FFFF_FFFF_FFFFL;
        if (exp == 0) exp = 1; else mantissa |= 1L << 52;
        exp -= 1075; // |x| = mantissa · 2^exp exactly
        BigInteger scaled = (BigInteger)mantissa * 1000, q;
        if (exp >= 0) q = scaled << exp;
        else
        {
            var den = BigInteger.One << -exp;
            q = BigInteger.DivRem(scaled, den, out var rem);
            int cmp = (rem << 1).CompareTo(den);
            if (cmp > 0 || (cmp == 0 && !q.IsEven)) q += 1;
        }
        string digits = q.ToString(CultureInfo.InvariantCulture).PadLeft(4, '0');
        return (negative ? "-" : "") + digits[..^3] + "." + digits[^3..];
    }
}
