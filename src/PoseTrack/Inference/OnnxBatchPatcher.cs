namespace PoseTrack.Inference;

/// <summary>Placeholder until the graph editor lands: keeps the model as it is.</summary>
internal static class OnnxBatchPatcher
{
    public static byte[]? TryMakeBatchDynamic(byte[] model, out string? reason)
    {
        reason = "graph editing not available";
        return null;
    }
}
