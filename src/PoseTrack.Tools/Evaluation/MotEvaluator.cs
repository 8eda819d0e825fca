using System.Globalization;
using System.Text;

namespace PoseTrack.Evaluation;

/// <summary>CLEAR-MOT and identity (IDF1) scores of one tracker output against one ground truth.</summary>
/// <param name="Mota">1 − (FN + FP + IDSW) / GT; NaN without ground truth.</param>
/// <param name="Motp">Mean IoU of the matched pairs (1 = perfect boxes); NaN without matches.</param>
/// <param name="Idf1">2·IDTP / (GT boxes + hypothesis boxes); NaN when both are empty.</param>
/// <param name="Idp">Identification precision IDTP / hypothesis boxes.</param>
/// <param name="Idr">Identification recall IDTP / GT boxes.</param>
/// <param name="FalseNegatives">GT boxes left unmatched.</param>
/// <param name="FalsePositives">Hypothesis boxes left unmatched.</param>
/// <param name="IdSwitches">Times a GT track was matched to another hypothesis id than at its previous match.</param>
/// <param name="Matches">Matched (GT, hypothesis) pairs over all frames.</param>
/// <param name="GtCount">GT boxes that count (after the ground-truth filters).</param>
/// <param name="HypCount">Hypothesis boxes.</param>
/// <param name="IdTruePositives">IDTP: frames in which a GT track and the hypothesis track globally assigned to it overlap with IoU ≥ 0.5.</param>
/// <param name="Frames">Frames that have a GT or a hypothesis box.</param>
/// <param name="GtTracks">Distinct GT ids.</param>
/// <param name="HypTracks">Distinct hypothesis ids.</param>
public sealed record MotMetrics(
    double Mota, double Motp, double Idf1, double Idp, double Idr,
    int FalseNegatives, int FalsePositives, int IdSwitches, int Matches,
    int GtCount, int HypCount, int IdTruePositives, int Frames, int GtTracks, int HypTracks)
{
    /// <summary>IDFP: hypothesis boxes outside the global identity assignment.</summary>
    public int IdFalsePositives => HypCount - IdTruePositives;

    /// <summary>IDFN: GT boxes outside the global identity assignment.</summary>
    public int IdFalseNegatives => GtCount - IdTruePositives;

    /// <summary>
    /// Three lines; the last one is <c>MOTA=… IDF1=… IDSW=… MOTP=… FN=… FP=… GT=…</c>, ratios with six decimals
    /// (<c>nan</c> when undefined).
    /// </summary>
    public string Summary()
    {
        var ic = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(ic, $"frames={Frames} gt_tracks={GtTracks} hyp_tracks={HypTracks} gt_boxes={GtCount} hyp_boxes={HypCount} matches={Matches}\n");
        sb.Append(ic, $"IDTP={IdTruePositives} IDFP={IdFalsePositives} IDFN={IdFalseNegatives} IDP={F(Idp)} IDR={F(Idr)}\n");
        sb.Append(ic, $"MOTA={F(Mota)} IDF1={F(Idf1)} IDSW={IdSwitches} MOTP={F(Motp)} FN={FalseNegatives} FP={FalsePositives} GT={GtCount}");
        return sb.ToString();
    }

    /// <summary>Same as <see cref="Summary"/>.</summary>
    public override string ToString() => Summary();

    private static string F(double x) => double.IsFinite(x) ? x.ToString("F6", CultureInfo.InvariantCulture) : "nan";
}

/// <summary>
/// Box-tracking evaluation with the py-motmetrics procedure: CLEAR-MOT (MOTA, MOTP) and IDF1 at IoU ≥ 0.5.
/// </summary>
/// <remarks>
/// Per frame (every frame number present in either input, in increasing order): a GT box and a hypothesis box may
/// pair only when their IoU is at least <see cref="MinIoU"/>, with distance 1 − IoU. Correspondences made in the
/// previous such frame are kept where both ids are still present and may still pair; the remaining boxes are
/// matched by a minimum-distance assignment that first maximises the number of pairs. A GT id matched to a
/// hypothesis id other than the one of its last match (however long ago) counts as an id switch.
/// IDF1 follows Ristani et al. (2016): GT trajectories are assigned one-to-one to hypothesis trajectories so that the
/// number of frames in which assigned pairs overlap with IoU ≥ 0.5 (IDTP) is largest.
/// </remarks>
public static class MotEvaluator
{
    /// <summary>Lowest IoU at which a GT box and a hypothesis box may be matched.</summary>
    public const double MinIoU = 0.5;

    /// <summary>Reads both MOTChallenge files (see <see cref="MotFile"/>) and evaluates them.</summary>
    /// <param name="gtPath">Ground-truth file.</param>
    /// <param name="hypPath">Tracker output file.</param>
    /// <param name="classFilter">Whether to keep only class 1 ground truth where an 8th column exists.</param>
    public static MotMetrics EvaluateFiles(string gtPath, string hypPath, bool classFilter = true)
        => Evaluate(MotFile.Read(gtPath, MotFileKind.GroundTruth, classFilter),
                    MotFile.Read(hypPath, MotFileKind.Hypothesis, classFilter));

    /// <summary>Evaluates tracker output against ground truth. Each (frame, id) may occur once per input.</summary>
    /// <param name="groundTruth">GT rows, already filtered.</param>
    /// <param name="hypotheses">Tracker rows.</param>
    public static MotMetrics Evaluate(IEnumerable<MotRecord> groundTruth, IEnumerable<MotRecord> hypotheses)
    {
        var gtByFrame = GroupByFrame(groundTruth, nameof(groundTruth));
        var hypByFrame = GroupByFrame(hypotheses, nameof(hypotheses));
        var frames = gtByFrame.Keys.Union(hypByFrame.Keys).Order().ToList();

        var lastHyp = new Dictionary<int, int>();         // GT id → hypothesis id of its latest match
        var matchedPrev = new HashSet<int>();             // GT ids matched in the previous frame
        var matchedNow = new HashSet<int>();
        var gtBoxesPerId = new Dictionary<int, int>();
        var hypBoxesPerId = new Dictionary<int, int>();
        var overlapFrames = new Dictionary<(int Gt, int Hyp), int>();   // frames with IoU ≥ 0.5, for IDF1
        int fn = 0, fp = 0, sw = 0, matches = 0, gtCount = 0, hypCount = 0;
        double sumDist = 0;
        List<MotRecord> none = [];

        foreach (int frame in frames)
        {
            var g = gtByFrame.GetValueOrDefault(frame) ?? none;
            var h = hypByFrame.GetValueOrDefault(frame) ?? none;
            gtCount += g.Count;
            hypCount += h.Count;
            foreach (var r in g) gtBoxesPerId[r.Id] = gtBoxesPerId.GetValueOrDefault(r.Id) + 1;
            foreach (var r in h) hypBoxesPerId[r.Id] = hypBoxesPerId.GetValueOrDefault(r.Id) + 1;

            var dist = new double[g.Count, h.Count];
            for (int i = 0; i < g.Count; i++)
                for (int j = 0; j < h.Count; j++)
                {
                    // Test the distance, not the IoU, so the boundary case rounds exactly as in py-motmetrics.
                    double d = 1.0 - IoU(g[i], h[j]);
                    if (d > 1.0 - MinIoU) { dist[i, j] = double.NaN; continue; }
                    dist[i, j] = d;
                    var key = (g[i].Id, h[j].Id);
                    overlapFrames[key] = overlapFrames.GetValueOrDefault(key) + 1;
                }

            var gtDone = new bool[g.Count];
            var hypDone = new bool[h.Count];
            matchedNow.Clear();
            if (g.Count > 0 && h.Count > 0)
            {
                // 1. Keep last frame's correspondences that still hold.
                for (int i = 0; i < g.Count; i++)
                {
                    int o = g[i].Id;
                    if (!matchedPrev.Contains(o)) continue;
                    int j = h.FindIndex(r => r.Id == lastHyp[o]);
                    if (j < 0 || hypDone[j] || double.IsNaN(dist[i, j])) continue;
                    gtDone[i] = hypDone[j] = true;
                    matches++;
                    sumDist += dist[i, j];
                    matchedNow.Add(o);
                }

                // 2. Minimum-distance assignment of the rest; rows/columns already matched are taken out of play.
                var rest = new double[g.Count, h.Count];
                for (int i = 0; i < g.Count; i++)
                    for (int j = 0; j < h.Count; j++)
                        rest[i, j] = gtDone[i] || hypDone[j] ? double.NaN : dist[i, j];
                foreach (var (i, j) in HungarianSolver.SolveWithForbidden(rest))
                {
                    int o = g[i].Id, hid = h[j].Id;
                    if (lastHyp.TryGetValue(o, out int before) && before != hid) sw++;
                    lastHyp[o] = hid;
                    gtDone[i] = hypDone[j] = true;
                    matches++;
                    sumDist += rest[i, j];
                    matchedNow.Add(o);
                }
            }
            foreach (bool done in gtDone) if (!done) fn++;
            foreach (bool done in hypDone) if (!done) fp++;
            (matchedPrev, matchedNow) = (matchedNow, matchedPrev);
        }

        int idtp = IdTruePositives(overlapFrames);
        return new MotMetrics(
            Mota: 1.0 - Ratio(fn + fp + sw, gtCount),
            Motp: 1.0 - Ratio(sumDist, matches),
            Idf1: Ratio(2.0 * idtp, gtCount + hypCount),
            Idp: Ratio(idtp, hypCount),
            Idr: Ratio(idtp, gtCount),
            FalseNegatives: fn, FalsePositives: fp, IdSwitches: sw, Matches: matches,
            GtCount: gtCount, HypCount: hypCount, IdTruePositives: idtp, Frames: frames.Count,
            GtTracks: gtBoxesPerId.Count, HypTracks: hypBoxesPerId.Count);
    }

    /// <summary>IoU in double precision with the same operation order as py-motmetrics' <c>boxiou</c>.</summary>
    internal static double IoU(in MotRecord a, in MotRecord b)
    {
        double iw = Math.Max(Math.Min(a.X + a.Width, b.X + b.Width) - Math.Max(a.X, b.X), 0);
        double ih = Math.Max(Math.Min(a.Y + a.Height, b.Y + b.Height) - Math.Max(a.Y, b.Y), 0);
        double inter = iw * ih;
        if (inter == 0) return 0;
        double areaA = Math.Max(a.Width, 0) * Math.Max(a.Height, 0), areaB = Math.Max(b.Width, 0) * Math.Max(b.Height, 0);
        return inter / (areaA + areaB - inter);
    }

    // Largest total overlap of a one-to-one GT-track ↔ hypothesis-track assignment. Pairs that never overlap add
    // nothing, so the bipartite graph of overlapping pairs splits into connected components solved one by one;
    // this keeps the Hungarian matrices small on long sequences with many fragmented tracks.
    private static int IdTruePositives(Dictionary<(int Gt, int Hyp), int> overlapFrames)
    {
        // Union-find over GT and hypothesis ids, each mapped to a dense node index.
        var index = new Dictionary<(bool IsHyp, int Id), int>();
        var parent = new List<int>();
        int Node(bool isHyp, int id)
        {
            if (!index.TryGetValue((isHyp, id), out int k)) { k = parent.Count; index.Add((isHyp, id), k); parent.Add(k); }
            return k;
        }
        int Find(int x)
        {
            while (parent[x] != x) { parent[x] = parent[parent[x]]; x = parent[x]; }
            return x;
        }
        foreach (var (gt, hyp) in overlapFrames.Keys)
            parent[Find(Node(false, gt))] = Find(Node(true, hyp));

        int total = 0;
        foreach (var component in overlapFrames.GroupBy(kv => Find(index[(false, kv.Key.Gt)])))
        {
            var gtIds = component.Select(kv => kv.Key.Gt).Distinct().ToList();
            var hypIds = component.Select(kv => kv.Key.Hyp).Distinct().ToList();
            var gtRow = gtIds.Select((id, k) => (id, k)).ToDictionary(t => t.id, t => t.k);
            var hypCol = hypIds.Select((id, k) => (id, k)).ToDictionary(t => t.id, t => t.k);
            var cost = new double[gtIds.Count, hypIds.Count];   // 0 = no overlap; maximise by minimising −count
            foreach (var kv in component) cost[gtRow[kv.Key.Gt], hypCol[kv.Key.Hyp]] = -kv.Value;
            var rowToCol = HungarianSolver.Solve(cost);
            for (int i = 0; i < rowToCol.Length; i++)
                if (rowToCol[i] >= 0) total -= (int)cost[i, rowToCol[i]];
        }
        return total;
    }

    private static Dictionary<int, List<MotRecord>> GroupByFrame(IEnumerable<MotRecord> rows, string what)
    {
        ArgumentNullException.ThrowIfNull(rows, what);
        var byFrame = new Dictionary<int, List<MotRecord>>();
        var seen = new HashSet<(int, int)>();
        foreach (var r in rows)
        {
            if (!seen.Add((r.Frame, r.Id)))
                throw new ArgumentException($"id {r.Id} occurs twice in frame {r.Frame}", what);
            if (!byFrame.TryGetValue(r.Frame, out var list)) byFrame.Add(r.Frame, list = []);
            list.Add(r);
        }
        return byFrame;
    }

    private static double Ratio(double num, double den) => den == 0 ? double.NaN : num / den;
}
