using PoseTrack.Core;

namespace PoseTrack.Pose;

/// <summary>
/// The top-down crop transform (Simple Baselines / the hourglass code's get_transform): a person box is padded to the
/// model's aspect ratio, scaled by <see cref="DefaultPadding"/>, optionally rotated about its centre, and mapped onto the
/// model input. <see cref="Forward"/> is the 2×3 matrix for warpAffine; <see cref="ToImage"/> maps model-input pixels back.
/// </summary>
public readonly struct AffineCrop
{
    /// <summary>Box enlargement so limbs at the box edge stay in the crop (×1.25, as in Simple Baselines).</summary>
    public const float DefaultPadding = 1.25f;

    /// <summary>Centre of the crop in image pixels.</summary>
    public float CenterX { get; }
    /// <summary>Centre of the crop in image pixels.</summary>
    public float CenterY { get; }
    /// <summary>Width of the crop region in image pixels (after aspect padding and enlargement).</summary>
    public float RegionWidth { get; }
    /// <summary>Height of the crop region in image pixels.</summary>
    public float RegionHeight { get; }
    /// <summary>Model input size.</summary>
    public int InputWidth { get; }
    /// <summary>Model input size.</summary>
    public int InputHeight { get; }
    /// <summary>Rotation in degrees (counter-clockwise in image coordinates, as OpenCV's getRotationMatrix2D).</summary>
    public float RotationDegrees { get; }

    private readonly double _a, _b, _c, _d, _tx, _ty; // forward: q = [a b; c d] p + t

    /// <summary>Builds the crop of <paramref name="box"/> for a model input of the given size.</summary>
    public AffineCrop(BoxF box, int inputWidth, int inputHeight, float padding = DefaultPadding, float rotationDegrees = 0f)
    {
        InputWidth = inputWidth; InputHeight = inputHeight; RotationDegrees = rotationDegrees;
        CenterX = box.CenterX; CenterY = box.CenterY;
        float aspect = (float)inputWidth / inputHeight;
        float w = Math.Max(box.Width, 1f), h = Math.Max(box.Height, 1f);
        // Pad the short side so the region has the model's aspect ratio: the person is never stretched.
        if (w > aspect * h) h = w / aspect; else w = aspect * h;
        RegionWidth = w * padding; RegionHeight = h * padding;

        double s = inputWidth / (double)RegionWidth;
        double rad = rotationDegrees * Math.PI / 180.0;
        double cos = Math.Cos(rad), sin = Math.Sin(rad);
        // q = s·R·(p - c) + (W/2, H/2); R rotates by -θ in y-down image coordinates (OpenCV convention).
        _a = s * cos; _b = s * sin; _c = -s * sin; _d = s * cos;
        _tx = inputWidth / 2.0 - (_a * CenterX + _b * CenterY);
        _ty = inputHeight / 2.0 - (_c * CenterX + _d * CenterY);
    }

    /// <summary>The 2×3 forward matrix (image → model input), row-major: a, b, tx, c, d, ty.</summary>
    public double[] Forward() => [_a, _b, _tx, _c, _d, _ty];

    /// <summary>Maps a point from model-input pixels back to image pixels (the inverse affine).</summary>
    public (float X, float Y) ToImage(float x, float y)
    {
        double det = _a * _d - _b * _c;
        double qx = x - _tx, qy = y - _ty;
        return ((float)((_d * qx - _b * qy) / det), (float)((-_c * qx + _a * qy) / det));
    }

    /// <summary>Maps a point from image pixels to model-input pixels.</summary>
    public (float X, float Y) ToInput(float x, float y) =>
        ((float)(_a * x + _b * y + _tx), (float)(_c * x + _d * y + _ty));
}
