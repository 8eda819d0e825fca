using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Rendering;

/// <summary>Options for <see cref="SkeletonRenderer"/>.</summary>
/// <param name="MinKeypointScore">Keypoints scoring below this are not drawn, nor any limb that ends in one.</param>
/// <param name="DrawBoxes">Draw each person's box in its track colour.</param>
/// <param name="DrawLabels">Draw "#id" (or the score when untracked) above each box.</param>
public sealed record SkeletonRendererOptions(float MinKeypointScore = 0.3f, bool DrawBoxes = true, bool DrawLabels = true);

/// <summary>
/// Draws persons onto a BGR image in place: limbs coloured by body side (left orange, right blue, centre green),
/// keypoints, and the person box and label in a colour fixed per track id. Sizes scale with the image so the
/// drawing reads the same at 480p and 4K. Not thread-safe (it caches label strings).
/// </summary>
public sealed class SkeletonRenderer
{
    // OpenCV's fixed-point sub-pixel drawing: coordinates carry Shift fractional bits, so anti-aliased lines sit
    // where the float keypoints are instead of jumping by whole pixels.
    private const int Shift = 4;
    private const float ShiftScale = 1 << Shift;

    /// <summary>Colour of left-side limbs and joints (BGR orange).</summary>
    public static Scalar LeftColor { get; } = new(0, 140, 255);
    /// <summary>Colour of right-side limbs and joints (BGR blue).</summary>
    public static Scalar RightColor { get; } = new(255, 120, 0);
    /// <summary>Colour of centre limbs and joints (green).</summary>
    public static Scalar CentreColor { get; } = new(0, 200, 0);
    /// <summary>Box colour of untracked persons (track id 0).</summary>
    public static Scalar UntrackedColor { get; } = new(200, 200, 200);

    private static readonly Scalar Black = new(0, 0, 0), White = new(255, 255, 255);
    private const HersheyFonts Font = HersheyFonts.HersheySimplex;

    // Label strings are cached so steady-state drawing allocates nothing in managed code: track labels by id
    // in a small direct-mapped cache (ids grow with video length, so no array indexed by id), score labels by
    // hundredths.
    private const int LabelCacheSize = 256;
    private readonly int[] _labelIds = new int[LabelCacheSize];
    private readonly string?[] _labels = new string?[LabelCacheSize];
    private static readonly string[] ScoreLabels = Enumerable.Range(0, 101).Select(i => (i / 100.0).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The options in use.</summary>
    public SkeletonRendererOptions Options { get; }

    /// <summary>Creates a renderer; <paramref name="options"/> null → defaults (score threshold 0.3).</summary>
    public SkeletonRenderer(SkeletonRendererOptions? options = null) => Options = options ?? new SkeletonRendererOptions();

    /// <summary>
    /// A colour for <paramref name="trackId"/> that is the same in every frame and every run: hues step by the golden
    /// ratio so consecutive ids get well-separated colours. Id 0 (untracked) is grey.
    /// </summary>
    public static Scalar TrackColor(int trackId)
    {
        if (trackId <= 0) return UntrackedColor;
        const double golden = 0.6180339887498949;
        double h = (trackId * golden) % 1.0;
        return HsvToBgr(h, 0.85, 0.95);
    }

    /// <summary>Colour of a body side.</summary>
    public static Scalar SideColor(BodySide side) => side switch
    {
        BodySide.Left => LeftColor,
        BodySide.Right => RightColor,
        _ => CentreColor,
    };

    /// <summary>Line thickness in pixels for an image of this size (1 px per ~300 px of the shorter side).</summary>
    public static int Thickness(int width, int height) => Math.Max(1, (int)Math.Round(Math.Min(width, height) / 300.0));

    /// <summary>Draws every person in <paramref name="persons"/> onto <paramref name="image"/> (8-bit BGR).</summary>
    public void Draw(Mat image, IReadOnlyList<Person> persons)
    {
        ArgumentNullException.ThrowIfNull(persons);
        CheckImage(image);
        for (int i = 0; i < persons.Count; i++) DrawPerson(image, persons[i]);
    }

    /// <summary>Draws one person onto <paramref name="image"/> (8-bit BGR).</summary>
    public void Draw(Mat image, Person person)
    {
        ArgumentNullException.ThrowIfNull(person);
        CheckImage(image);
        DrawPerson(image, person);
    }

    private void DrawPerson(Mat image, Person person)
    {
        int t = Thickness(image.Width, image.Height);
        var kps = person.Keypoints;
        var skeleton = person.Skeleton;
        float min = Options.MinKeypointScore;

        if (Options.DrawBoxes || Options.DrawLabels)
        {
            var color = TrackColor(person.TrackId);
            var b = person.Box;
            if (float.IsFinite(b.X) && float.IsFinite(b.Y) && float.IsFinite(b.Right) && float.IsFinite(b.Bottom))
            {
                if (Options.DrawBoxes)
                    Cv2.Rectangle(image, Fixed(b.X, b.Y), Fixed(b.Right, b.Bottom), color, t, LineTypes.AntiAlias, Shift);
                if (Options.DrawLabels)
                    DrawLabel(image, person, color, (int)b.X, (int)b.Y, t);
            }
        }

        var limbs = skeleton.Limbs;
        for (int i = 0; i < limbs.Count; i++)
        {
            var (a, c) = limbs[i];
            if (a >= kps.Length || c >= kps.Length || !Visible(kps[a], min) || !Visible(kps[c], min)) continue;
            Cv2.Line(image, Fixed(kps[a].X, kps[a].Y), Fixed(kps[c].X, kps[c].Y), SideColor(skeleton.SideOf(limbs[i])),
                t + 1, LineTypes.AntiAlias, Shift);
        }

        int radius = (t + 2) << Shift;
        for (int j = 0; j < kps.Length && j < skeleton.Count; j++)
        {
            if (!Visible(kps[j], min)) continue;
            var p = Fixed(kps[j].X, kps[j].Y);
            Cv2.Circle(image, p, radius, SideColor(skeleton.SideOf(j)), -1, LineTypes.AntiAlias, Shift);
            Cv2.Circle(image, p, radius, Black, 1, LineTypes.AntiAlias, Shift);
        }
    }

    private void DrawLabel(Mat image, Person person, Scalar color, int x, int y, int t)
    {
        string text = Label(person);
        double scale = FontScale(image);
        var size = Cv2.GetTextSize(text, Font, scale, Math.Max(1, t / 2), out int baseline);
        int pad = t + 1;
        int w = size.Width + 2 * pad, h = size.Height + baseline + 2 * pad;
        // Above the box when there is room, else just inside it; never off the image sides.
        int top = y - h >= 0 ? y - h : Math.Max(0, y);
        int left = Math.Clamp(x, 0, Math.Max(0, image.Width - w));
        Cv2.Rectangle(image, new Rect(left, top, w, h), color, -1);
        Cv2.PutText(image, text, new Point(left + pad, top + pad + size.Height), Font, scale, Black, Math.Max(1, t / 2), LineTypes.AntiAlias);
    }

    private string Label(Person person)
    {
        int id = person.TrackId;
        if (id <= 0)
        {
            float s = person.Score;
            return ScoreLabels[float.IsFinite(s) ? Math.Clamp((int)MathF.Round(s * 100f), 0, 100) : 0];
        }
        int slot = id & (LabelCacheSize - 1);
        if (_labelIds[slot] != id || _labels[slot] is null)
        {
            _labelIds[slot] = id;
            _labels[slot] = "#" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return _labels[slot]!;
    }

    /// <summary>
    /// Draws <paramref name="text"/> (e.g. fps and people count) at the top left on a dark band so it stays legible
    /// on any background. Lines are separated by '\n'.
    /// </summary>
    public void DrawOverlay(Mat image, string text)
    {
        CheckImage(image);
        if (string.IsNullOrEmpty(text)) return;
        int t = Thickness(image.Width, image.Height);
        int textThickness = Math.Max(1, t / 2);
        double scale = FontScale(image) * 1.2;
        int pad = 2 * t + 2, y = pad;
        int start = 0;
        while (start <= text.Length)
        {
            int nl = text.IndexOf('\n', start);
            int end = nl < 0 ? text.Length : nl;
            // Only multi-line text pays for substrings; the usual one-liner is passed as is.
            string line = start == 0 && end == text.Length ? text : text[start..end];
            if (line.Length > 0)
            {
                var size = Cv2.GetTextSize(line, Font, scale, textThickness, out int baseline);
                int h = size.Height + baseline + 2 * pad;
                var band = new Rect(0, y - pad, Math.Min(image.Width, size.Width + 2 * pad + pad), h)
                    .Intersect(new Rect(0, 0, image.Width, image.Height));
                if (band.Width > 0 && band.Height > 0)
                {
                    using var roi = new Mat(image, band);
                    // Darken rather than paint over: the scene stays visible under the text.
                    roi.ConvertTo(roi, -1, 0.35, 0);
                }
                Cv2.PutText(image, line, new Point(pad, y + size.Height), Font, scale, White, textThickness, LineTypes.AntiAlias);
                y += h;
            }
            if (nl < 0) break;
            start = nl + 1;
        }
    }

    private static double FontScale(Mat image) => Math.Max(0.4, Math.Min(image.Width, image.Height) / 1100.0);

    private static bool Visible(in Keypoint k, float min) => k.Score >= min && float.IsFinite(k.X) && float.IsFinite(k.Y);

    private static Point Fixed(float x, float y)
    {
        // Clamp far-off coordinates: OpenCV's fixed-point maths overflows on values past ~2^27 / 16.
        const float lim = 1 << 20;
        return new Point((int)MathF.Round(Math.Clamp(x, -lim, lim) * ShiftScale), (int)MathF.Round(Math.Clamp(y, -lim, lim) * ShiftScale));
    }

    private static void CheckImage(Mat image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Empty() || image.Type() != MatType.CV_8UC3)
            throw new ArgumentException($"Expected a non-empty 8-bit BGR image, got {image.Type()} {image.Width}x{image.Height}.", nameof(image));
    }

    private static Scalar HsvToBgr(double h, double s, double v)
    {
        double hh = h * 6.0;
        int sector = (int)hh % 6;
        double f = hh - Math.Floor(hh);
        double p = v * (1 - s), q = v * (1 - s * f), u = v * (1 - s * (1 - f));
        var (r, g, b) = sector switch
        {
            0 => (v, u, p),
            1 => (q, v, p),
            2 => (p, v, u),
            3 => (p, q, v),
            4 => (u, p, v),
            _ => (v, p, q),
        };
        return new Scalar(Math.Round(b * 255), Math.Round(g * 255), Math.Round(r * 255));
    }
}
