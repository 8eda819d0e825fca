namespace PoseTrack.Core;

/// <summary>An axis-aligned box in image pixels: top-left corner, width and height.</summary>
public readonly record struct BoxF(float X, float Y, float Width, float Height)
{
    /// <summary>Right edge (X + Width).</summary>
    public float Right => X + Width;
    /// <summary>Bottom edge (Y + Height).</summary>
    public float Bottom => Y + Height;
    /// <summary>Centre X.</summary>
    public float CenterX => X + Width * 0.5f;
    /// <summary>Centre Y.</summary>
    public float CenterY => Y + Height * 0.5f;
    /// <summary>Width × height (0 for degenerate boxes).</summary>
    public float Area => Math.Max(0f, Width) * Math.Max(0f, Height);

    /// <summary>Builds a box from corner coordinates.</summary>
    public static BoxF FromCorners(float x1, float y1, float x2, float y2) => new(x1, y1, x2 - x1, y2 - y1);

    /// <summary>Intersection over union of two boxes; 0 when either is empty.</summary>
    public static float IoU(in BoxF a, in BoxF b)
    {
        float ix = Math.Max(0f, Math.Min(a.Right, b.Right) - Math.Max(a.X, b.X));
        float iy = Math.Max(0f, Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Y, b.Y));
        float inter = ix * iy;
        float union = a.Area + b.Area - inter;
        return union > 0f ? inter / union : 0f;
    }

    /// <summary>"[x, y, w, h]" with one decimal.</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"[{X:F1}, {Y:F1}, {Width:F1}, {Height:F1}]");

    /// <summary>This box clipped to an image of the given size.</summary>
    public BoxF ClipTo(int imageWidth, int imageHeight)
    {
        float x1 = Math.Clamp(X, 0, imageWidth), y1 = Math.Clamp(Y, 0, imageHeight);
        float x2 = Math.Clamp(Right, 0, imageWidth), y2 = Math.Clamp(Bottom, 0, imageHeight);
        return FromCorners(x1, y1, x2, y2);
    }
}

/// <summary>One keypoint in image pixels with its confidence.</summary>
public readonly record struct Keypoint(float X, float Y, float Score);
