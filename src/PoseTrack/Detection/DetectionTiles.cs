using PoseTrack.Core;

namespace PoseTrack.Detection;

/// <summary>
/// Where the tiles of a frame lie, and how boxes found in the whole frame and in its tiles become one list.
/// Pure functions, so the rules can be tested on hand-made boxes.
/// </summary>
internal static class DetectionTiles
{
    /// <summary>A tile: its area of the frame, and which of its sides are cuts inside the frame (not the frame's border).</summary>
    internal readonly record struct Tile(int X, int Y, int Width, int Height, bool CutLeft, bool CutTop, bool CutRight, bool CutBottom);

    /// <summary>
    /// <paramref name="rows"/> × <paramref name="columns"/> tiles covering a <paramref name="width"/> × <paramref name="height"/>
    /// frame, neighbours overlapping by <paramref name="overlap"/> of a tile's size; the last row and column end at the
    /// frame's edge.
    /// </summary>
    public static IReadOnlyList<Tile> Layout(int width, int height, int rows, int columns, float overlap)
    {
        var (xs, tw) = Spans(width, columns, overlap);
        var (ys, th) = Spans(height, rows, overlap);
        var tiles = new List<Tile>(rows * columns);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                tiles.Add(new Tile(xs[c], ys[r], tw, th, c > 0, r > 0, c < columns - 1, r < rows - 1));
        return tiles;
    }

    // n spans of one length over `length` pixels, neighbours sharing `overlap` of a span: n·s − (n−1)·overlap·s = length.
    private static (int[] Starts, int Size) Spans(int length, int n, float overlap)
    {
        if (n <= 1) return ([0], length);
        int size = Math.Min(length, (int)Math.Ceiling(length / (n - (n - 1) * overlap)));
        var starts = new int[n];
        for (int i = 0; i < n; i++) starts[i] = (int)Math.Round((double)i * (length - size) / (n - 1));
        return (starts, size);
    }

    /// <summary>
    /// A box found in a tile that touches one of the tile's cuts (within <paramref name="margin"/> pixels) is a person
    /// cut in two: it is dropped, because the neighbouring tile (which overlaps this one) or the whole-frame pass sees
    /// that person whole.
    /// </summary>
    public static bool IsCut(in BoxF box, in Tile tile, float margin)
        => (tile.CutLeft && box.X <= tile.X + margin)
        || (tile.CutTop && box.Y <= tile.Y + margin)
        || (tile.CutRight && box.Right >= tile.X + tile.Width - margin)
        || (tile.CutBottom && box.Bottom >= tile.Y + tile.Height - margin);

    /// <summary>
    /// Tiles add people, they never replace them: the whole-frame boxes are all kept; a tile box is dropped when it
    /// overlaps a whole-frame box by more than <paramref name="iou"/> or lies mostly (≥ <see cref="InsideShare"/> of
    /// its area) inside one — a part of a large person that a tile saw — and the remaining tile boxes go through
    /// non-maximum suppression among themselves (neighbouring tiles overlap, so they see some people twice).
    /// </summary>
    public static List<PersonDetection> Merge(List<PersonDetection> wholeFrame, List<PersonDetection> fromTiles, float iou)
    {
        var kept = new List<PersonDetection>(wholeFrame);
        fromTiles.Sort((a, b) => b.Score.CompareTo(a.Score));
        foreach (var d in fromTiles)
        {
            bool seen = false;
            foreach (var w in wholeFrame)
                if (BoxF.IoU(d.Box, w.Box) > iou || InsideShareOf(d.Box, w.Box) >= InsideShare) { seen = true; break; }
            for (int k = wholeFrame.Count; k < kept.Count && !seen; k++)
                if (BoxF.IoU(d.Box, kept[k].Box) > iou) seen = true;
            if (!seen) kept.Add(d);
        }
        kept.Sort((a, b) => b.Score.CompareTo(a.Score));
        return kept;
    }

    /// <summary>A tile box this much inside a whole-frame box is part of that person (0.7: a limb or torso alone).</summary>
    public const float InsideShare = 0.7f;

    // The share of a's area that lies inside b.
    private static float InsideShareOf(in BoxF a, in BoxF b)
    {
        float w = Math.Min(a.Right, b.Right) - Math.Max(a.X, b.X), h = Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Y, b.Y);
        return w <= 0 || h <= 0 || a.Area <= 0 ? 0 : w * h / a.Area;
    }
}
