using PoseTrack.Core;

namespace PoseTrack.Pose;

/// <summary>
/// Decodes MoveNet single-pose output: per crop a [1,17,3] block of (y, x, score), y and x normalised to the model
/// input (0..1). The network already did its own peak-picking, so decoding is only a change of units.
/// </summary>
public static class MoveNetDecoder
{
    /// <summary>Values per keypoint in the output (y, x, score).</summary>
    public const int ValuesPerKeypoint = 3;

    /// <summary>
    /// Converts one crop's output (<c>output.Length / 3</c> keypoints of y, x, score) to keypoints in model-input
    /// pixels: (x·<paramref name="inputWidth"/>, y·<paramref name="inputHeight"/>, score).
    /// </summary>
    /// <exception cref="ArgumentException">The output length is not a multiple of 3, or <paramref name="result"/> is too short.</exception>
    public static void Decode(ReadOnlySpan<float> output, int inputWidth, int inputHeight, Span<Keypoint> result)
    {
        if (output.Length % ValuesPerKeypoint != 0)
            throw new ArgumentException($"MoveNet output length {output.Length} is not a multiple of 3", nameof(output));
        int joints = output.Length / ValuesPerKeypoint;
        if (result.Length < joints)
            throw new ArgumentException($"result holds {result.Length} keypoints, the output has {joints}", nameof(result));
        for (int k = 0; k < joints; k++)
        {
            float y = output[3 * k], x = output[3 * k + 1], score = output[3 * k + 2];
            result[k] = new Keypoint(x * inputWidth, y * inputHeight, score);
        }
    }
}
