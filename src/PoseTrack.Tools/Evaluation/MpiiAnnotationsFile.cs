using System.Text.Json;
using PoseTrack.Core;

namespace PoseTrack.Evaluation;

/// <summary>
/// One annotated person of an MPII-format file (the layout mmpose and the Stacked Hourglass / HRNet code read): the
/// image, 16 joints in MPII order (<see cref="Skeleton.Mpii16"/>) with a 0/1 "annotated" flag each, the person's rough
/// centre and scale (person height / 200 px).
/// </summary>
/// <param name="Image">The image's file name (relative to the images folder).</param>
/// <param name="Joints">16 (x, y) in image pixels.</param>
/// <param name="Visible">16 flags: true when the joint is annotated (MPII's <c>joints_vis</c>); only these are scored.</param>
/// <param name="CenterX">The person's centre, image pixels.</param>
/// <param name="CenterY">The person's centre, image pixels.</param>
/// <param name="Scale">Person height / 200 px.</param>
public sealed record MpiiPerson(string Image, (double X, double Y)[] Joints, bool[] Visible, double CenterX, double CenterY, double Scale)
{
    /// <summary>Index of the upper neck in MPII order.</summary>
    public const int UpperNeck = 8;
    /// <summary>Index of the head top in MPII order.</summary>
    public const int HeadTop = 9;

    /// <summary>
    /// The head size PCKh normalises by. MPII's own evaluation uses 0.6 × the diagonal of an annotated head box; this
    /// format carries no head boxes, so the head size here is the length of the annotated head segment (head top to
    /// upper neck). Null when either end is not annotated or the two coincide: such a person cannot be scored.
    /// </summary>
    public double? HeadSize
    {
        get
        {
            if (!Visible[UpperNeck] || !Visible[HeadTop]) return null;
            double dx = Joints[HeadTop].X - Joints[UpperNeck].X, dy = Joints[HeadTop].Y - Joints[UpperNeck].Y;
            double d = Math.Sqrt(dx * dx + dy * dy);
            return d > 0 ? d : null;
        }
    }

    /// <summary>
    /// The person box from centre and scale, as the MPII top-down code builds it (mmpose's MpiiDataset): the centre moved
    /// down by 15 × scale pixels (MPII centres sit high, near the chest), a square of 1.25 × 200 × scale around it.
    /// The pose stage then pads it by its own factor (<c>--pose-padding</c>), as mmpose's GetBBoxCenterScale does.
    /// </summary>
    public BoxF Box
    {
        get
        {
            double cy = CenterY + CentreShiftPerScale * Scale;
            double side = BoxScale * 200 * Scale;
            return new BoxF((float)(CenterX - side / 2), (float)(cy - side / 2), (float)side, (float)side);
        }
    }

    // MPII convention (Newell et al.'s and mmpose's data loaders): centre + 15·s in y, box 1.25 × the annotated scale.
    private const double CentreShiftPerScale = 15;
    private const double BoxScale = 1.25;
}

/// <summary>Reads MPII-format annotations: a JSON list of <c>{image, joints [16][2], joints_vis [16], center [2], scale}</c>.</summary>
public static class MpiiAnnotationsFile
{
    /// <summary>Joints per person in MPII.</summary>
    public const int JointCount = 16;

    /// <summary>Reads the file; every problem is one <see cref="PoseTrackException"/> line naming the file and entry.</summary>
    public static IReadOnlyList<MpiiPerson> Load(string path)
    {
        if (!File.Exists(path)) throw new PoseTrackException($"annotations file not found: {path}");
        JsonDocument doc;
        try
        {
            using var stream = File.OpenRead(path);
            doc = JsonDocument.Parse(stream);
        }
        catch (JsonException e) { throw new PoseTrackException($"{path}: not JSON ({e.Message})"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new PoseTrackException($"{path}: cannot be read ({e.Message})"); }
        using (doc) return Parse(path, doc.RootElement);
    }

    /// <summary>Parses an already-read document (<paramref name="source"/> names it in errors).</summary>
    public static IReadOnlyList<MpiiPerson> Parse(string source, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Array)
            throw new PoseTrackException($"{source}: expected a JSON list of MPII persons ({{image, joints, joints_vis, center, scale}}), found {root.ValueKind}");
        var persons = new List<MpiiPerson>();
        int i = 0;
        foreach (var e in root.EnumerateArray())
        {
            string where = $"{source}: entry {i}";
            if (e.ValueKind != JsonValueKind.Object) throw new PoseTrackException($"{where} is not an object");
            var image = Get(e, "image", where, JsonValueKind.String).GetString()!;
            var joints = Get(e, "joints", where, JsonValueKind.Array);
            if (joints.GetArrayLength() != JointCount)
                throw new PoseTrackException($"{where}: 'joints' has {joints.GetArrayLength()} entries, expected {JointCount} (MPII-16)");
            var xy = joints.EnumerateArray().Select((j, k) => Pair(j, $"{where}: joints[{k}]")).ToArray();
            var visible = new bool[JointCount];
            if (e.TryGetProperty("joints_vis", out var vis))
            {
                if (vis.ValueKind != JsonValueKind.Array || vis.GetArrayLength() != JointCount)
                    throw new PoseTrackException($"{where}: 'joints_vis' must be a list of {JointCount} numbers");
                int k = 0;
                foreach (var v in vis.EnumerateArray())
                {
                    if (v.ValueKind != JsonValueKind.Number) throw new PoseTrackException($"{where}: joints_vis[{k}] is not a number");
                    visible[k++] = v.GetDouble() > 0;
                }
            }
            else Array.Fill(visible, true);
            var centre = Pair(Get(e, "center", where, JsonValueKind.Array), $"{where}: center");
            var scale = Get(e, "scale", where, JsonValueKind.Number).GetDouble();
            if (!(scale > 0) || double.IsInfinity(scale)) throw new PoseTrackException($"{where}: 'scale' must be a positive number (got {scale})");
            persons.Add(new MpiiPerson(image, xy, visible, centre.X, centre.Y, scale));
            i++;
        }
        if (persons.Count == 0) throw new PoseTrackException($"{source}: no persons");
        return persons;
    }

    private static JsonElement Get(JsonElement e, string name, string where, JsonValueKind kind)
    {
        if (!e.TryGetProperty(name, out var v)) throw new PoseTrackException($"{where} has no '{name}'");
        if (v.ValueKind != kind) throw new PoseTrackException($"{where}: '{name}' is {v.ValueKind}, expected {kind}");
        return v;
    }

    private static (double X, double Y) Pair(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() < 2
            || e[0].ValueKind != JsonValueKind.Number || e[1].ValueKind != JsonValueKind.Number)
            throw new PoseTrackException($"{where} must be [x, y] numbers");
        double x = e[0].GetDouble(), y = e[1].GetDouble();
        if (!double.IsFinite(x) || !double.IsFinite(y)) throw new PoseTrackException($"{where} must be finite numbers");
        return (x, y);
    }
}
