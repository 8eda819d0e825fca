namespace PoseTrack.Inference;

/// <summary>Entry point used by the pose estimator to make a batch-1 pose graph accept any batch size.</summary>
internal static class OnnxBatchPatcher
{
    /// <summary>
    /// The model with a symbolic batch dimension, or null with <paramref name="reason"/> when that is not safe
    /// (the caller then runs crops one at a time). See <see cref="OnnxGraphEditor.MakeBatchDynamic(ReadOnlySpan{byte}, out string?)"/>.
    /// </summary>
    /// <exception cref="Core.PoseTrackException">The bytes are not an ONNX model.</exception>
    public static byte[]? TryMakeBatchDynamic(byte[] model, out string? reason) =>
        OnnxGraphEditor.MakeBatchDynamic(model, out reason);
}
