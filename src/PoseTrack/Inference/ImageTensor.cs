using OpenCvSharp;

namespace PoseTrack.Inference;

/// <summary>Packs an 8-bit BGR image into a planar float tensor with per-channel normalisation.</summary>
internal static class ImageTensor
{
    /// <summary>
    /// Writes <paramref name="bgr"/> (CV_8UC3, continuous or not) as 3 planes of H·W floats into <paramref name="dest"/>,
    /// computing (v - mean[c]) / std[c] in the model's channel order (<paramref name="rgb"/> swaps B and R).
    /// </summary>
    public static unsafe void ToPlanar(Mat bgr, Span<float> dest, bool rgb, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        int h = bgr.Rows, w = bgr.Cols, plane = h * w;
        if (dest.Length < 3 * plane) throw new ArgumentException("destination too small", nameof(dest));
        // Channel c of the model reads BGR byte index src[c].
        int s0 = rgb ? 2 : 0, s2 = rgb ? 0 : 2;
        float m0 = mean[0], m1 = mean[1], m2 = mean[2];
        float k0 = 1f / std[0], k1 = 1f / std[1], k2 = 1f / std[2];
        fixed (float* d = dest)
        {
            float* p0 = d, p1 = d + plane, p2 = d + 2 * plane;
            long step = bgr.Step();
            byte* basePtr = (byte*)bgr.DataPointer;
            for (int y = 0; y < h; y++)
            {
                byte* row = basePtr + y * step;
                int o = y * w;
                for (int x = 0; x < w; x++)
                {
                    byte* px = row + 3 * x;
                    p0[o + x] = (px[s0] - m0) * k0;
                    p1[o + x] = (px[1] - m1) * k1;
                    p2[o + x] = (px[s2] - m2) * k2;
                }
            }
        }
    }
}
