using System.Globalization;
using System.Text;
using PoseTrack.Core;

namespace PoseTrack.Evaluation;

/// <summary>PCKh of one joint: how many annotated joints were scored and how many fell within each threshold.</summary>
/// <param name="Joint">MPII joint name.</param>
/// <param name="Count">Annotated joints scored.</param>
/// <param name="Within05">Predictions within 0.5 head sizes.</param>
/// <param name="Within01">Predictions within 0.1 head sizes.</param>
public sealed record MpiiJointPckh(string Joint, int Count, int Within05, int Within01)
{
    /// <summary>PCKh@0.5 of this joint; NaN when no joint was scored.</summary>
    public double Pckh05 => Count == 0 ? double.NaN : (double)Within05 / Count;
    /// <summary>PCKh@0.1 of this joint; NaN when no joint was scored.</summary>
    public double Pckh01 => Count == 0 ? double.NaN : (double)Within01 / Count;
}

/// <summary>PCKh per joint and the mean.</summary>
/// <param name="Joints">The 16 joints in MPII order.</param>
/// <param name="Persons">Persons scored (those with a head size).</param>
/// <param name="Unscored">Persons skipped: head top or upper neck not annotated.</param>
/// <param name="Missed">Scored persons with no prediction (all their joints count as wrong).</param>
public sealed record MpiiPckhResult(IReadOnlyList<MpiiJointPckh> Joints, int Persons, int Unscored, int Missed)
{
    /// <summary>
    /// PCKh@0.5 over all scored joints except pelvis and thorax (each joint weighted by how often it is annotated): the
    /// "total" of MPII's evaluation, which leaves those two out because they are placed from the hips and shoulders.
    /// </summary>
    public double Mean05 => Mean(j => j.Within05);
    /// <summary>PCKh@0.1, same joints and weights as <see cref="Mean05"/>.</summary>
    public double Mean01 => Mean(j => j.Within01);

    private double Mean(Func<MpiiJointPckh, int> within)
    {
        var kept = Joints.Where((_, k) => !MpiiPckhEvaluator.LeftOutOfMean.Contains(k)).ToList();
        int n = kept.Sum(j => j.Count);
        return n == 0 ? double.NaN : (double)kept.Sum(within) / n;
    }

    /// <summary>The per-joint table, then the means; the last line is <c>PCKh=0.xxx</c> (PCKh@0.5).</summary>
    public string FormatSummary()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"{"joint",-12} {"n",4} {"PCKh@0.5",9} {"PCKh@0.1",9}");
        foreach (var j in Joints)
            sb.AppendLine(inv, $"{j.Joint,-12} {j.Count,4} {F(j.Pckh05),9} {F(j.Pckh01),9}");
        sb.AppendLine(inv, $"{Persons} persons scored ({Unscored} without head top and upper neck skipped, {Missed} not found); head size = |head_top - upper_neck|; mean leaves out pelvis and thorax");
        sb.AppendLine(inv, $"PCKh@0.1={F(Mean01)}");
        sb.Append(inv, $"PCKh={F(Mean05)}");
        return sb.ToString();
    }

    private static string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F3", CultureInfo.InvariantCulture);
}

/// <summary>
/// PCKh (Andriluka et al. 2014): a predicted joint is correct when it lies within α × the person's head size of the
/// annotated joint; only annotated joints are scored. Head size: see <see cref="MpiiPerson.HeadSize"/>.
/// </summary>
public static class MpiiPckhEvaluator
{
    /// <summary>Pelvis (6) and thorax (7): scored per joint but left out of the mean, as in MPII's evaluation.</summary>
    public static readonly IReadOnlySet<int> LeftOutOfMean = new HashSet<int> { 6, 7 };

    /// <summary>
    /// Scores <paramref name="predictions"/> (one per annotated person, in the same order; null = the person was not found,
    /// and each of its annotated joints is wrong) against <paramref name="truth"/>. Predictions are in image pixels,
    /// MPII order; their scores are not used (PCKh scores every prediction).
    /// </summary>
    public static MpiiPckhResult Evaluate(IReadOnlyList<MpiiPerson> truth, IReadOnlyList<Keypoint[]?> predictions)
    {
        if (truth.Count != predictions.Count) throw new ArgumentException("one prediction (or null) per annotated person", nameof(predictions));
        int k = MpiiAnnotationsFile.JointCount;
        var count = new int[k]; var within05 = new int[k]; var within01 = new int[k];
        int persons = 0, unscored = 0, missed = 0;
        for (int p = 0; p < truth.Count; p++)
        {
            var gt = truth[p];
            if (gt.HeadSize is not { } head) { unscored++; continue; }
            persons++;
            var pred = predictions[p];
            if (pred is null) missed++;
            else if (pred.Length != k) throw new ArgumentException($"prediction {p} has {pred.Length} joints, expected {k}", nameof(predictions));
            for (int j = 0; j < k; j++)
            {
                if (!gt.Visible[j]) continue;
                count[j]++;
                if (pred is null) continue;
                double dx = pred[j].X - gt.Joints[j].X, dy = pred[j].Y - gt.Joints[j].Y;
                double d = Math.Sqrt(dx * dx + dy * dy) / head;
                if (d <= 0.5) within05[j]++;
                if (d <= 0.1) within01[j]++;
            }
        }
        var names = Skeleton.Mpii16.JointNames;
        return new MpiiPckhResult([.. Enumerable.Range(0, k).Select(j => new MpiiJointPckh(names[j], count[j], within05[j], within01[j]))],
            persons, unscored, missed);
    }

    /// <summary>
    /// Which of <paramref name="found"/> (persons estimated on the image) is annotated person <paramref name="gt"/>: the
    /// one whose box centre is nearest the annotated centre (shifted as for <see cref="MpiiPerson.Box"/>), provided that
    /// centre lies inside its box; -1 when none does. Uses no annotated joint, so it cannot favour a better pose.
    /// </summary>
    public static int Match(MpiiPerson gt, IReadOnlyList<BoxF> found)
    {
        var target = gt.Box;
        float cx = target.CenterX, cy = target.CenterY;
        int best = -1; double bestD = double.MaxValue;
        for (int i = 0; i < found.Count; i++)
        {
            var b = found[i];
            if (cx < b.X || cx > b.X + b.Width || cy < b.Y || cy > b.Y + b.Height) continue;
            double dx = b.CenterX - cx, dy = b.CenterY - cy, d = dx * dx + dy * dy;
            if (d < bestD) { bestD = d; best = i; }
        }
        return best;
    }
}
