using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Rendering;

/// <summary>Options for <see cref="SkeletonRenderer"/>.</summary>
/// <param name="MinKeypointScore">Keypoints scoring below this are not drawn, nor any limb that ends in one.</param>
/// <param name="DrawBoxes">Draw each person's box in its track colour.</param>
/// <param name="DrawLabels">Draw "#id" (or the score when untracked) at each box.</param>
public sealed record SkeletonRendererOptions(float MinKeypointScore = 0.3f, bool DrawBoxes = true, bool DrawLabels = true)
{
    /// <summary>
    /// Limb width in pixels for every person; null (default) sizes it to each person's box height
    /// (<see cref="SkeletonRenderer.LineWidthFor"/>), so a 40 px and a 1000 px tall person both read clearly.
    /// </summary>
    public float? LineWidth { get; init; }

    /// <summary>Keypoint dot radius in pixels for every person; null (default) sizes it to each person's box height (<see cref="SkeletonRenderer.DotRadiusFor"/>).</summary>
    public float? DotRadius { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first value out of range.</summary>
    public void Validate()
    {
        if (!(MinKeypointScore >= 0 && MinKeypointScore <= 1)) throw new ArgumentOutOfRangeException(nameof(MinKeypointScore), MinKeypointScore, "must be within 0..1");
        if (LineWidth is { } w && !(w >= 1 && w <= SkeletonRenderer.MaxPixels)) throw new ArgumentOutOfRangeException(nameof(LineWidth), w, $"must be 1..{SkeletonRenderer.MaxPixels} pixels");
        if (DotRadius is { } d && !(d >= 1 && d <= SkeletonRenderer.MaxPixels)) throw new ArgumentOutOfRangeException(nameof(DotRadius), d, $"must be 1..{SkeletonRenderer.MaxPixels} pixels");
    }
}

/// <summary>
/// Draws persons onto a BGR image in place. Each person is drawn in its track colour (the same in every frame), so
/// overlapping people stay apart; left limbs are a lighter shade of it and right limbs a darker one, centre limbs the
/// colour itself. Line width, dot size and label size follow each person's box height, so a 40 px figure in the
/// distance stays a skeleton rather than a blob and a 1000 px one is not drawn with hairlines. Id labels are drawn
/// last, each where it covers neither another label nor a skeleton (above the box, or inside its top when crowded),
/// always inside the image. Persons are only read, never changed. Not thread-safe (it reuses label buffers).
/// </summary>
public sealed class SkeletonRenderer
{
    // OpenCV's fixed-point sub-pixel drawing: coordinates carry Shift fractional bits, so anti-aliased lines sit
    // where the float keypoints are instead of jumping by whole pixels.
    private const int Shift = 4;
    private const float ShiftScale = 1 << Shift;

    /// <summary>Largest line width or dot radius accepted, in pixels (beyond it a skeleton is one blot).</summary>
    public const float MaxPixels = 64;

    // Sizes relative to the box height. A standing person's limbs are roughly a tenth of their height wide; a
    // line at ~1/90 of the height (a ninth of a limb) and a dot of ~1/70 stay thin enough that nearby joints do
    // not merge, at any size. The floors keep 40 px people visible; the ceilings keep a face-filling close-up tidy.
    private const float LineWidthPerHeight = 1 / 90f, MinLineWidth = 1, MaxAutoLineWidth = 14;
    private const float DotRadiusPerHeight = 1 / 70f, MinDotRadius = 1.5f, MaxAutoDotRadius = 18;
    // Label text: Hershey scale 1.0 is ~22 px tall; ~1/14 of the box height, from a still legible 0.35 (8 px) up
    // to 1.2 (26 px).
    private const float LabelScalePerHeight = 1 / 300f, MinLabelScale = 0.35f, MaxLabelScale = 1.2f;
    // Dots smaller than this get no dark rim: on a small dot a one-pixel rim would be most of it.
    private const float MinRimmedDotRadius = 3;
    // Shades of the track colour: left limbs mixed this far towards white, right limbs scaled by this.
    private const double LeftLighten = 0.45, RightDarken = 0.55;

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

    // Reused per frame by the label placement.
    private readonly List<LabelSlot> _slots = [];
    private readonly List<Rect> _placed = [];
    private readonly List<Point2f> _obstacles = [];
    private int[] _order = new int[16];

    /// <summary>The options in use.</summary>
    public SkeletonRendererOptions Options { get; }

    /// <summary>Creates a renderer; <paramref name="options"/> null → defaults (score threshold 0.3, sizes per person).</summary>
    public SkeletonRenderer(SkeletonRendererOptions? options = null)
    {
        Options = options ?? new SkeletonRendererOptions();
        Options.Validate();
    }

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

    /// <summary>
    /// The colour a person is drawn in: its track colour; untracked persons (a single image) are coloured by their
    /// place in the frame's list so that people in one picture still differ.
    /// </summary>
    public static Scalar PersonColor(Person person, int index)
    {
        ArgumentNullException.ThrowIfNull(person);
        return TrackColor(person.TrackId > 0 ? person.TrackId : index + 1);
    }

    /// <summary>Shade of a person colour for a body side: left lighter, right darker, centre the colour itself.</summary>
    public static Scalar SideShade(Scalar color, BodySide side) => side switch
    {
        BodySide.Left => new Scalar(Mix(color.Val0), Mix(color.Val1), Mix(color.Val2)),
        BodySide.Right => new Scalar(Math.Round(color.Val0 * RightDarken), Math.Round(color.Val1 * RightDarken), Math.Round(color.Val2 * RightDarken)),
        _ => color,
    };

    private static double Mix(double c) => Math.Round(c + (255 - c) * LeftLighten);

    /// <summary>Automatic limb width in pixels for a person <paramref name="boxHeight"/> pixels tall.</summary>
    public static int LineWidthFor(float boxHeight) =>
        (int)MathF.Round(Math.Clamp(Finite(boxHeight) * LineWidthPerHeight, MinLineWidth, MaxAutoLineWidth));

    /// <summary>Automatic keypoint dot radius in pixels for a person <paramref name="boxHeight"/> pixels tall.</summary>
    public static float DotRadiusFor(float boxHeight) => Math.Clamp(Finite(boxHeight) * DotRadiusPerHeight, MinDotRadius, MaxAutoDotRadius);

    /// <summary>Limb width used for <paramref name="person"/> (the option, or sized to its box).</summary>
    public int LineWidthOf(Person person) => Options.LineWidth is { } w ? (int)MathF.Round(w) : LineWidthFor(person.Box.Height);

    /// <summary>Dot radius used for <paramref name="person"/> (the option, or sized to its box).</summary>
    public float DotRadiusOf(Person person) => Options.DotRadius ?? DotRadiusFor(person.Box.Height);

    private static float Finite(float v) => float.IsFinite(v) && v > 0 ? v : 0;

    /// <summary>Line thickness in pixels of the fps overlay text for an image of this size (1 px per ~300 px of the shorter side).</summary>
    public static int Thickness(int width, int height) => Math.Max(1, (int)Math.Round(Math.Min(width, height) / 300.0));

    /// <summary>Draws every person in <paramref name="persons"/> onto <paramref name="image"/> (8-bit BGR).</summary>
    public void Draw(Mat image, IReadOnlyList<Person> persons)
    {
        ArgumentNullException.ThrowIfNull(persons);
        CheckImage(image);
        if (Options.DrawBoxes)
            for (int i = 0; i < persons.Count; i++) DrawBox(image, persons[i], PersonColor(persons[i], i));
        for (int i = 0; i < persons.Count; i++) DrawSkeleton(image, persons[i], PersonColor(persons[i], i));
        if (Options.DrawLabels)
        {
            PlaceLabels(image.Width, image.Height, persons);
            foreach (var slot in _slots) DrawLabel(image, slot, PersonColor(persons[slot.Person], slot.Person));
        }
    }

    /// <summary>Draws one person onto <paramref name="image"/> (8-bit BGR).</summary>
    public void Draw(Mat image, Person person)
    {
        ArgumentNullException.ThrowIfNull(person);
        Draw(image, [person]);
    }

    /// <summary>
    /// Where the labels of <paramref name="persons"/> go in an image of this size (rectangles, label background
    /// included), in the order of <paramref name="persons"/>; empty rectangles for persons whose box is not finite.
    /// The same placement <see cref="Draw(Mat, IReadOnlyList{Person})"/> uses.
    /// </summary>
    public Rect[] LabelRects(int width, int height, IReadOnlyList<Person> persons)
    {
        ArgumentNullException.ThrowIfNull(persons);
        PlaceLabels(width, height, persons);
        var rects = new Rect[persons.Count];
        foreach (var s in _slots) rects[s.Person] = s.Rect;
        return rects;
    }

    private void DrawBox(Mat image, Person person, Scalar color)
    {
        var b = person.Box;
        if (!FiniteBox(b)) return;
        int t = Math.Max(1, LineWidthOf(person) / 2);
        Cv2.Rectangle(image, Fixed(b.X, b.Y), Fixed(b.Right, b.Bottom), color, t, LineTypes.AntiAlias, Shift);
    }

    private void DrawSkeleton(Mat image, Person person, Scalar color)
    {
        var kps = person.Keypoints;
        var skeleton = person.Skeleton;
        float min = Options.MinKeypointScore;
        int width = LineWidthOf(person);
        var limbs = skeleton.Limbs;
        for (int i = 0; i < limbs.Count; i++)
        {
            var (a, c) = limbs[i];
            if (a >= kps.Length || c >= kps.Length || !Visible(kps[a], min) || !Visible(kps[c], min)) continue;
            Cv2.Line(image, Fixed(kps[a].X, kps[a].Y), Fixed(kps[c].X, kps[c].Y), SideShade(color, skeleton.SideOf(limbs[i])),
                width, LineTypes.AntiAlias, Shift);
        }

        float r = DotRadiusOf(person);
        int radius = (int)MathF.Round(r * ShiftScale);
        bool rim = r >= MinRimmedDotRadius;
        for (int j = 0; j < kps.Length && j < skeleton.Count; j++)
        {
            if (!Visible(kps[j], min)) continue;
            var p = Fixed(kps[j].X, kps[j].Y);
            Cv2.Circle(image, p, radius, SideShade(color, skeleton.SideOf(j)), -1, LineTypes.AntiAlias, Shift);
            if (rim) Cv2.Circle(image, p, radius, Black, 1, LineTypes.AntiAlias, Shift);
        }
    }

    private readonly record struct LabelSlot(int Person, Rect Rect, string Text, double Scale, int Thickness, int Pad);

    /// <summary>
    /// Fills <see cref="_slots"/>: tallest (nearest) persons choose first, each taking the candidate place (above its
    /// box, inside the box top, then lower inside the box, then below it) that overlaps the fewest labels already
    /// placed and covers the fewest joints, preferring the earlier candidates on a tie; every place is moved inside
    /// the image.
    /// </summary>
    private void PlaceLabels(int width, int height, IReadOnlyList<Person> persons)
    {
        _slots.Clear(); _placed.Clear(); _obstacles.Clear();
        float min = Options.MinKeypointScore;
        foreach (var p in persons) AddObstacles(p, min);

        // Tallest first, ties in list order (an insertion sort: a frame holds a handful of people).
        if (_order.Length < persons.Count) _order = new int[Math.Max(persons.Count, 2 * _order.Length)];
        var order = _order.AsSpan(0, persons.Count);
        for (int i = 0; i < order.Length; i++)
        {
            int k = i;
            float hi = Finite(persons[i].Box.Height);
            while (k > 0 && Finite(persons[order[k - 1]].Box.Height) < hi) { order[k] = order[k - 1]; k--; }
            order[k] = i;
        }

        Span<Rect> candidates = stackalloc Rect[8];
        Span<double> placeCost = stackalloc double[8];
        foreach (int i in order)
        {
            var person = persons[i];
            var b = person.Box;
            if (!FiniteBox(b)) continue;
            string text = Label(person);
            double scale = Math.Clamp(Finite(b.Height) * LabelScalePerHeight, MinLabelScale, MaxLabelScale);
            int thickness = Math.Max(1, (int)Math.Round(scale * 1.6));
            var size = Cv2.GetTextSize(text, Font, scale, thickness, out int baseline);
            int pad = Math.Max(1, thickness);
            int w = size.Width + 2 * pad, h = size.Height + baseline + 2 * pad;
            int x = (int)MathF.Round(b.X), y = (int)MathF.Round(b.Y), right = (int)MathF.Round(b.Right), bottom = (int)MathF.Round(b.Bottom);
            // Candidate places with what each costs by itself: the further from the top of the person, the more
            // (a label covering one joint near the top beats one at the feet).
            int n = 0;
            candidates[n] = new Rect(x, y - h, w, h); placeCost[n++] = 0;              // above, left
            candidates[n] = new Rect(right - w, y - h, w, h); placeCost[n++] = 0.1;    // above, right
            candidates[n] = new Rect(x, y, w, h); placeCost[n++] = 0.5;                // inside the top, left
            candidates[n] = new Rect(right - w, y, w, h); placeCost[n++] = 0.6;        // inside the top, right
            for (int k = 1; k <= 3; k++) { candidates[n] = new Rect(x, y + k * h, w, h); placeCost[n++] = 0.5 + k; } // lower inside, when crowded
            candidates[n] = new Rect(x, bottom, w, h); placeCost[n++] = 3;             // below
            var best = default(Rect);
            double bestCost = double.MaxValue;
            for (int k = 0; k < n; k++)
            {
                var r = Inside(candidates[k], width, height);
                double cost = Cost(r) + placeCost[k];
                if (cost < bestCost) { bestCost = cost; best = r; }
            }
            _placed.Add(best);
            _slots.Add(new LabelSlot(i, best, text, scale, thickness, pad));
        }
    }

    // A label on another label hides an id: far worse than one on a joint, which hides a detail.
    private double Cost(Rect r)
    {
        double cost = 0;
        foreach (var other in _placed)
        {
            var o = r.Intersect(other);
            if (o.Width > 0 && o.Height > 0) cost += 100.0 * (1 + (double)o.Width * o.Height / Math.Max(1, r.Width * r.Height));
        }
        foreach (var p in _obstacles)
            if (p.X >= r.X && p.X < r.Right && p.Y >= r.Y && p.Y < r.Bottom) cost += 1;
        return cost;
    }

    // Joints and limb midpoints of every person: a label there would hide the skeleton.
    private void AddObstacles(Person person, float min)
    {
        var kps = person.Keypoints;
        for (int j = 0; j < kps.Length; j++)
            if (Visible(kps[j], min)) _obstacles.Add(new Point2f(kps[j].X, kps[j].Y));
        foreach (var (a, c) in person.Skeleton.Limbs)
            if (a < kps.Length && c < kps.Length && Visible(kps[a], min) && Visible(kps[c], min))
                _obstacles.Add(new Point2f((kps[a].X + kps[c].X) / 2, (kps[a].Y + kps[c].Y) / 2));
    }

    private static Rect Inside(Rect r, int width, int height) => new(
        Math.Clamp(r.X, 0, Math.Max(0, width - r.Width)), Math.Clamp(r.Y, 0, Math.Max(0, height - r.Height)),
        Math.Min(r.Width, width), Math.Min(r.Height, height));

    private static void DrawLabel(Mat image, in LabelSlot slot, Scalar color)
    {
        var r = slot.Rect;
        if (r.Width <= 0 || r.Height <= 0) return;
        Cv2.Rectangle(image, r, color, -1);
        var size = Cv2.GetTextSize(slot.Text, Font, slot.Scale, slot.Thickness, out _);
        Cv2.PutText(image, slot.Text, new Point(r.X + slot.Pad, r.Y + slot.Pad + size.Height), Font, slot.Scale, Black, slot.Thickness, LineTypes.AntiAlias);
    }

    private static bool FiniteBox(BoxF b) => float.IsFinite(b.X) && float.IsFinite(b.Y) && float.IsFinite(b.Right) && float.IsFinite(b.Bottom);

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
