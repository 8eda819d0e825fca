using System.Globalization;

namespace PoseTrack.Inference;

/// <summary>
/// Edits ONNX models in memory, without a protobuf library, so that a model exported at batch 1 can run
/// several inputs at once. Only the declared shapes of graph inputs, outputs and value_info entries change;
/// every other byte (nodes, initializers, metadata, unknown fields) is copied through as it is.
/// </summary>
internal static class OnnxGraphEditor
{
    /// <summary>The symbolic name given to the leading (batch) dimension.</summary>
    public const string BatchParam = "batch";

    private static readonly int[] PathToFirstDim =
    [
        OnnxFields.ValueInfoType, OnnxFields.TypeTensorType, OnnxFields.TensorTypeShape, OnnxFields.ShapeDim,
    ];

    private delegate byte[] LeafRewriter(ReadOnlySpan<byte> payload);

    private readonly record struct Edit(int Start, int End, byte[] Replacement);

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
        var layout = OnnxModelLayout.Parse(model);
        var edits = new List<Edit>();

        reason = FindBatchBakingNode(model, layout);
        if (reason is not null) return null;

        int realInputs = 0;
        foreach (var range in layout.Inputs)
        {
            var info = OnnxModelLayout.ReadValueInfo(range.Payload(model));
            if (layout.Initializers.ContainsKey(info.Name)) continue; // a constant, not fed by the caller
            realInputs++;
            if (!PlanShapeEdit(model, range, info, "input", edits, out reason)) return null;
        }
        if (realInputs == 0)
        {
            reason = "the graph has no inputs other than initializers";
            return null;
        }
        foreach (var range in layout.Outputs)
        {
            var info = OnnxModelLayout.ReadValueInfo(range.Payload(model));
            if (!PlanShapeEdit(model, range, info, "output", edits, out reason)) return null;
        }
        foreach (var range in layout.ValueInfos)
        {
            var info = OnnxModelLayout.ReadValueInfo(range.Payload(model));
            if (info.Shape is [{ Value: 1 }, ..])
                edits.Add(new Edit(range.Start, range.End, [])); // drop: a fixed 1 would contradict the symbolic batch
        }

        return edits.Count == 0 ? model.ToArray() : Splice(model, layout.Graph, edits);
    }

    /// <summary>Reads the model file at <paramref name="path"/> and applies <see cref="MakeBatchDynamic(ReadOnlySpan{byte}, out string?)"/>.</summary>
    public static byte[]? MakeBatchDynamic(string path, out string? reason) =>
        MakeBatchDynamic(OnnxModelLayout.ReadFile(path), out reason);

    /// <summary>Adds the edit for one graph input or output; false (with a reason) when its batch dimension is fixed to more than 1.</summary>
    private static bool PlanShapeEdit(ReadOnlySpan<byte> model, FieldRange range, OnnxTensorInfo info, string kind,
        List<Edit> edits, out string? reason)
    {
        reason = null;
        if (info.Shape is not [var first, ..]) return true; // no declared shape or a scalar: nothing to rewrite
        if (first.Value is null or <= 0) return true;         // already symbolic or unknown
        if (first.Value != 1)
        {
            reason = $"graph {kind} '{info.Name}' has a fixed leading dimension of {first.Value} [{info.ShapeText}], not 1";
            return false;
        }
        var payload = RewriteAlongPath(range.Payload(model), PathToFirstDim, RewriteDimensionToBatch);
        var field = new ProtoWriter(payload.Length + 8);
        field.WriteRaw(model[range.Start..range.KeyEnd]);
        field.WriteVarint((ulong)payload.Length);
        field.WriteRaw(payload);
        edits.Add(new Edit(range.Start, range.End, field.ToArray()));
        return true;
    }

    /// <summary>
    /// Copies <paramref name="message"/>, replacing the payload of the first length-delimited field numbered
    /// <c>path[0]</c> with its rewrite (recursively along the rest of the path; the leaf goes through <paramref name="leaf"/>).
    /// </summary>
    private static byte[] RewriteAlongPath(ReadOnlySpan<byte> message, ReadOnlySpan<int> path, LeafRewriter leaf)
    {
        var w = new ProtoWriter(message.Length + 16);
        var r = new ProtoReader(message);
        bool done = false;
        while (r.TryReadField(out var f))
        {
            if (!done && f.Number == path[0] && f.WireType == WireType.LengthDelimited)
            {
                byte[] inner = path.Length == 1 ? leaf(f.Payload) : RewriteAlongPath(f.Payload, path[1..], leaf);
                w.WriteRaw(message[f.Start..f.KeyEnd]);
                w.WriteVarint((ulong)inner.Length);
                w.WriteRaw(inner);
                done = true;
            }
            else
            {
                w.WriteRaw(message[f.Start..f.End]);
            }
        }
        if (!done) throw new InvalidOperationException($"field {path[0]} not found while rewriting a shape");
        return w.ToArray();
    }

    /// <summary>A TensorShapeProto.Dimension with dim_value replaced by dim_param "batch" (denotation and other fields kept).</summary>
    private static byte[] RewriteDimensionToBatch(ReadOnlySpan<byte> dimension)
    {
        var w = new ProtoWriter(dimension.Length + 8);
        var r = new ProtoReader(dimension);
        while (r.TryReadField(out var f))
        {
            if (f.Number == OnnxFields.DimValue) w.WriteStringField(OnnxFields.DimParam, BatchParam);
            else if (f.Number != OnnxFields.DimParam) w.WriteRaw(dimension[f.Start..f.End]);
        }
        return w.ToArray();
    }

    /// <summary>Builds the edited model in one exact-size buffer: unchanged runs are copied span to span.</summary>
    private static byte[] Splice(ReadOnlySpan<byte> model, FieldRange graph, List<Edit> edits)
    {
        edits.Sort((a, b) => a.Start.CompareTo(b.Start));
        long delta = 0;
        foreach (var e in edits) delta += e.Replacement.Length - (e.End - e.Start);
        long newGraphLength = graph.PayloadLength + delta;
        int oldPrefix = graph.PayloadStart - graph.KeyEnd;
        int newPrefix = ProtoWriter.VarintSize((ulong)newGraphLength);
        var output = new byte[model.Length + delta + newPrefix - oldPrefix];

        var dst = output.AsSpan();
        model[..graph.KeyEnd].CopyTo(dst);
        int o = graph.KeyEnd;
        o += ProtoWriter.WriteVarint(dst[o..], (ulong)newGraphLength);
        int pos = graph.PayloadStart;
        foreach (var e in edits)
        {
            model[pos..e.Start].CopyTo(dst[o..]);
            o += e.Start - pos;
            e.Replacement.CopyTo(dst[o..]);
            o += e.Replacement.Length;
            pos = e.End;
        }
        model[pos..].CopyTo(dst[o..]);
        o += model.Length - pos;
        if (o != output.Length) throw new InvalidOperationException($"splice wrote {o} bytes, expected {output.Length}");
        return output;
    }

    /// <summary>
    /// A description of the first node that ties the graph to batch 1, or null: a Reshape whose target shape is a
    /// constant (initializer, Constant node or opset-1 attribute) starting with 1, or a Flatten at axis 0.
    /// </summary>
    private static string? FindBatchBakingNode(ReadOnlySpan<byte> model, OnnxModelLayout layout)
    {
        Dictionary<string, FieldRange>? constants = null;
        foreach (var node in layout.Nodes)
        {
            if (node.OpType == "Flatten")
            {
                long? axis = ReadIntAttribute(node.Range.Payload(model), "axis"u8);
                if (axis == 0) return $"Flatten node '{node.DisplayName}' has axis 0, which merges the batch into one row";
                continue;
            }
            if (node.OpType != "Reshape") continue;

            List<long>? shape;
            if (node.Inputs.Length >= 2)
            {
                constants ??= ConstantNodeOutputs(model, layout);
                string shapeName = node.Inputs[1];
                if (layout.Initializers.TryGetValue(shapeName, out var init))
                    shape = OnnxModelLayout.ReadInt64Tensor(init.Payload(model));
                else if (constants.TryGetValue(shapeName, out var tensor))
                    shape = OnnxModelLayout.ReadInt64Tensor(tensor.Payload(model));
                else
                    continue; // computed at run time (usually from Shape), so it follows the input
            }
            else
            {
                shape = ReadIntsAttribute(node.Range.Payload(model), "shape"u8);
            }
            if (shape is [1, ..])
                return $"Reshape node '{node.DisplayName}' has the constant target shape [{string.Join(",", shape.Select(v => v.ToString(CultureInfo.InvariantCulture)))}], which fixes the batch at 1";
        }
        return null;
    }

    /// <summary>Output name → the TensorProto in the "value" attribute, for every Constant node.</summary>
    private static Dictionary<string, FieldRange> ConstantNodeOutputs(ReadOnlySpan<byte> model, OnnxModelLayout layout)
    {
        var map = new Dictionary<string, FieldRange>(StringComparer.Ordinal);
        foreach (var node in layout.Nodes)
        {
            if (node.OpType != "Constant" || node.Outputs.Length == 0) continue;
            var r = new ProtoReader(node.Range.Payload(model));
            while (r.TryReadField(out var f))
            {
                if (f.Number != OnnxFields.NodeAttribute || f.WireType != WireType.LengthDelimited) continue;
                var a = new ProtoReader(f.Payload);
                bool isValue = false;
                FieldRange? tensor = null;
                int attrBase = node.Range.PayloadStart + f.PayloadStart;
                while (a.TryReadField(out var g))
                {
                    if (g.Number == OnnxFields.AttrName && g.WireType == WireType.LengthDelimited) isValue = g.Payload.SequenceEqual("value"u8);
                    else if (g.Number == OnnxFields.AttrT && g.WireType == WireType.LengthDelimited) tensor = FieldRange.Of(g, attrBase);
                }
                if (isValue && tensor is { } t) map[node.Outputs[0]] = t;
            }
        }
        return map;
    }

    private static long? ReadIntAttribute(ReadOnlySpan<byte> node, ReadOnlySpan<byte> name)
    {
        var r = new ProtoReader(node);
        while (r.TryReadField(out var f))
        {
            if (f.Number != OnnxFields.NodeAttribute || f.WireType != WireType.LengthDelimited) continue;
            var a = new ProtoReader(f.Payload);
            bool match = false;
            long? value = null;
            while (a.TryReadField(out var g))
            {
                if (g.Number == OnnxFields.AttrName && g.WireType == WireType.LengthDelimited) match = g.Payload.SequenceEqual(name);
                else if (g.Number == OnnxFields.AttrI && g.WireType == WireType.Varint) value = g.Int64;
            }
            if (match) return value;
        }
        return null;
    }

    private static List<long>? ReadIntsAttribute(ReadOnlySpan<byte> node, ReadOnlySpan<byte> name)
    {
        var r = new ProtoReader(node);
        while (r.TryReadField(out var f))
        {
            if (f.Number != OnnxFields.NodeAttribute || f.WireType != WireType.LengthDelimited) continue;
            var a = new ProtoReader(f.Payload);
            bool match = false;
            var values = new List<long>();
            while (a.TryReadField(out var g))
            {
                if (g.Number == OnnxFields.AttrName && g.WireType == WireType.LengthDelimited) match = g.Payload.SequenceEqual(name);
                else if (g.Number == OnnxFields.AttrInts && g.WireType == WireType.Varint) values.Add(g.Int64);
                else if (g.Number == OnnxFields.AttrInts && g.WireType == WireType.LengthDelimited) OnnxModelLayout.ReadPackedInt64(g.Payload, values, 64);
            }
            if (match) return values;
        }
        return null;
    }
}
