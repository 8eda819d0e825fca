using System.Globalization;
using Google.Protobuf;
using Onnx;

namespace PoseTrack.Inference;

/// <summary>
/// Edits ONNX models in memory so that a model exported at batch 1 can run several inputs at once.
/// Only the declared shapes of graph inputs, outputs and value_info entries change; the model is parsed into the
/// messages generated from onnx.proto (unknown fields are kept) and written again.
/// </summary>
internal static class OnnxGraphEditor
{
    /// <summary>The symbolic name given to the leading (batch) dimension.</summary>
    public const string BatchParam = "batch";

    /// <summary>
    /// Returns a copy of <paramref name="model"/> whose graph inputs and outputs have a symbolic leading dimension
    /// <see cref="BatchParam"/> instead of the fixed size 1, and whose value_info entries with a fixed leading 1 are dropped
    /// (ONNX Runtime infers them again). Initializers listed as graph inputs (IR &lt; 4 models) are left alone.
    /// Returns null and sets <paramref name="reason"/> when the model cannot safely run at other batch sizes
    /// (a leading dimension fixed to a size other than 1, a Reshape to a constant shape starting with 1, Flatten at axis 0);
    /// the caller should then run one input at a time. A model that is already dynamic comes back unchanged.
    /// </summary>
    /// <exception cref="Core.PoseTrackException">The bytes are not an ONNX model.</exception>
    public static byte[]? MakeBatchDynamic(ReadOnlySpan<byte> model, out string? reason)
    {
        var parsed = OnnxModelReader.Parse(model);
        var graph = parsed.Graph;

        reason = FindBatchBakingNode(graph);
        if (reason is not null) return null;

        var initializers = OnnxModelReader.InitializerNames(graph);
        bool changed = false;
        int realInputs = 0;
        foreach (var input in graph.Input)
        {
            var info = OnnxModelReader.TensorInfo(input);
            if (initializers.Contains(info.Name)) continue; // a constant, not fed by the caller
            realInputs++;
            if (!MakeLeadingDimensionBatch(input, info, "input", ref changed, out reason)) return null;
        }
        if (realInputs == 0)
        {
            reason = "the graph has no inputs other than initializers";
            return null;
        }
        foreach (var output in graph.Output)
            if (!MakeLeadingDimensionBatch(output, OnnxModelReader.TensorInfo(output), "output", ref changed, out reason)) return null;

        // Drop value_info entries with a fixed leading 1: it would contradict the symbolic batch.
        for (int i = graph.ValueInfo.Count - 1; i >= 0; i--)
        {
            if (OnnxModelReader.TensorInfo(graph.ValueInfo[i]).Shape is [{ Value: 1 }, ..])
            {
                graph.ValueInfo.RemoveAt(i);
                changed = true;
            }
        }

        return changed ? parsed.ToByteArray() : model.ToArray();
    }

    /// <summary>Reads the model file at <paramref name="path"/> and applies <see cref="MakeBatchDynamic(ReadOnlySpan{byte}, out string?)"/>.</summary>
    public static byte[]? MakeBatchDynamic(string path, out string? reason) =>
        MakeBatchDynamic(OnnxModelReader.ReadFile(path), out reason);

    /// <summary>
    /// Replaces the fixed leading 1 of one graph input or output by dim_param <see cref="BatchParam"/> (the dimension's
    /// denotation and other fields kept); false (with a reason) when its batch dimension is fixed to more than 1.
    /// </summary>
    private static bool MakeLeadingDimensionBatch(ValueInfoProto valueInfo, OnnxTensorInfo info, string kind,
        ref bool changed, out string? reason)
    {
        reason = null;
        if (info.Shape is not [var first, ..]) return true; // no declared shape or a scalar: nothing to rewrite
        if (first.Value is null or <= 0) return true;         // already symbolic or unknown
        if (first.Value != 1)
        {
            reason = $"graph {kind} '{info.Name}' has a fixed leading dimension of {first.Value} [{info.ShapeText}], not 1";
            return false;
        }
        valueInfo.Type.TensorType.Shape.Dim[0].DimParam = BatchParam; // the oneof: clears dim_value
        changed = true;
        return true;
    }

    /// <summary>
    /// A description of the first node that ties the graph to batch 1, or null: a Reshape whose target shape is a
    /// constant (initializer, Constant node or opset-1 attribute) starting with 1, or a Flatten at axis 0.
    /// </summary>
    private static string? FindBatchBakingNode(GraphProto graph)
    {
        Dictionary<string, TensorProto>? initializers = null;
        Dictionary<string, TensorProto>? constants = null;
        foreach (var node in graph.Node)
        {
            if (node.OpType == "Flatten")
            {
                var axis = Attribute(node, "axis");
                if (axis is { HasI: true, I: 0 }) return $"Flatten node '{DisplayName(node)}' has axis 0, which merges the batch into one row";
                continue;
            }
            if (node.OpType != "Reshape") continue;

            List<long>? shape;
            if (node.Input.Count >= 2)
            {
                initializers ??= graph.Initializer.GroupBy(t => t.Name, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
                constants ??= ConstantNodeOutputs(graph);
                string shapeName = node.Input[1];
                if (initializers.TryGetValue(shapeName, out var init))
                    shape = OnnxModelReader.Int64Values(init);
                else if (constants.TryGetValue(shapeName, out var tensor))
                    shape = OnnxModelReader.Int64Values(tensor);
                else
                    continue; // computed at run time (usually from Shape), so it follows the input
            }
            else
            {
                shape = Attribute(node, "shape")?.Ints.ToList();
            }
            if (shape is [1, ..])
                return $"Reshape node '{DisplayName(node)}' has the constant target shape [{string.Join(",", shape.Select(v => v.ToString(CultureInfo.InvariantCulture)))}], which fixes the batch at 1";
        }
        return null;
    }

    /// <summary>The node's name, or its first output when it has none.</summary>
    private static string DisplayName(NodeProto node) => node.Name.Length > 0 ? node.Name : node.Output.FirstOrDefault() ?? "?";

    /// <summary>The node's first attribute called <paramref name="name"/>, or null.</summary>
    private static AttributeProto? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    /// <summary>Output name → the TensorProto in the "value" attribute, for every Constant node.</summary>
    private static Dictionary<string, TensorProto> ConstantNodeOutputs(GraphProto graph)
    {
        var map = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (node.OpType != "Constant" || node.Output.Count == 0) continue;
            foreach (var a in node.Attribute)
                if (a.Name == "value" && a.T is { } t) map[node.Output[0]] = t;
        }
        return map;
    }
}
