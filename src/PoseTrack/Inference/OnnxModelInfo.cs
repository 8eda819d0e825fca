using PoseTrack.Core;

namespace PoseTrack.Inference;

/// <summary>Field numbers of the ONNX protobuf messages this project reads (onnx/onnx.proto).</summary>
internal static class OnnxFields
{
    // ModelProto
    public const int ModelIrVersion = 1;
    public const int ModelProducerName = 2;
    public const int ModelGraph = 7;
    public const int ModelOpsetImport = 8;
    // OperatorSetIdProto
    public const int OpsetDomain = 1;
    public const int OpsetVersion = 2;
    // GraphProto
    public const int GraphNode = 1;
    public const int GraphInitializer = 5;
    public const int GraphInput = 11;
    public const int GraphOutput = 12;
    public const int GraphValueInfo = 13;
    // NodeProto
    public const int NodeInput = 1;
    public const int NodeOutput = 2;
    public const int NodeName = 3;
    public const int NodeOpType = 4;
    public const int NodeAttribute = 5;
    // AttributeProto
    public const int AttrName = 1;
    public const int AttrI = 3;
    public const int AttrT = 5;
    public const int AttrInts = 8;
    // TensorProto
    public const int TensorDataType = 2;
    public const int TensorInt64Data = 7;
    public const int TensorName = 8;
    public const int TensorRawData = 9;
    public const int TensorDataTypeInt64 = 7;
    // ValueInfoProto
    public const int ValueInfoName = 1;
    public const int ValueInfoType = 2;
    // TypeProto
    public const int TypeTensorType = 1;
    // TypeProto.Tensor
    public const int TensorTypeElemType = 1;
    public const int TensorTypeShape = 2;
    // TensorShapeProto
    public const int ShapeDim = 1;
    // TensorShapeProto.Dimension
    public const int DimValue = 1;
    public const int DimParam = 2;
}

/// <summary>One dimension of a declared tensor shape: a fixed size, a named symbol, or unknown (both null).</summary>
internal readonly record struct OnnxDim(long? Value, string? Param)
{
    /// <inheritdoc/>
    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Param ?? "?";
}

/// <summary>An imported operator set (empty domain = the default ai.onnx set).</summary>
internal readonly record struct OnnxOpset(string Domain, long Version);

/// <summary>A graph input or output: name, element type (TensorProto.DataType, 1 = float) and shape; Shape is null when undeclared.</summary>
internal sealed record OnnxTensorInfo(string Name, int ElementType, IReadOnlyList<OnnxDim>? Shape)
{
    /// <summary>Shape as "1x3x256x192" ("?" where unknown), or "unknown".</summary>
    public string ShapeText => Shape is null ? "unknown" : string.Join("x", Shape);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{ShapeText}]";
}

/// <summary>
/// What a caller needs to know about an ONNX model without loading it in ONNX Runtime:
/// versions, the real graph inputs (initializers listed as inputs by IR &lt; 4 models are left out) and the outputs.
/// </summary>
internal sealed record OnnxModelInfo(
    long IrVersion,
    string ProducerName,
    IReadOnlyList<OnnxOpset> Opsets,
    IReadOnlyList<OnnxTensorInfo> Inputs,
    IReadOnlyList<OnnxTensorInfo> Outputs,
    int NodeCount,
    int InitializerCount)
{
    /// <summary>Reads the model's description; throws <see cref="PoseTrackException"/> when the bytes are not an ONNX model.</summary>
    public static OnnxModelInfo Read(ReadOnlySpan<byte> model)
    {
        var layout = OnnxModelLayout.Parse(model);
        var inputs = new List<OnnxTensorInfo>();
        foreach (var r in layout.Inputs)
        {
            var info = OnnxModelLayout.ReadValueInfo(r.Payload(model));
            if (!layout.Initializers.ContainsKey(info.Name)) inputs.Add(info);
        }
        var outputs = new List<OnnxTensorInfo>(layout.Outputs.Count);
        foreach (var r in layout.Outputs) outputs.Add(OnnxModelLayout.ReadValueInfo(r.Payload(model)));
        return new OnnxModelInfo(layout.IrVersion, layout.ProducerName, layout.Opsets, inputs, outputs,
            layout.NodeCount, layout.Initializers.Count);
    }

    /// <summary>Reads the description of the model file at <paramref name="path"/>.</summary>
    public static OnnxModelInfo Load(string path) => Read(OnnxModelLayout.ReadFile(path));
}

/// <summary>Offsets of a field inside a model buffer: key, payload and end.</summary>
internal readonly record struct FieldRange(int Start, int KeyEnd, int PayloadStart, int End)
{
    /// <summary>Builds the range of <paramref name="f"/>, shifting its offsets by <paramref name="baseOffset"/>.</summary>
    public static FieldRange Of(in ProtoField f, int baseOffset) =>
        new(f.Start + baseOffset, f.KeyEnd + baseOffset, f.PayloadStart + baseOffset, f.End + baseOffset);

    /// <summary>The payload bytes within <paramref name="buffer"/>.</summary>
    public ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> buffer) => buffer[PayloadStart..End];

    /// <summary>Payload length in bytes.</summary>
    public int PayloadLength => End - PayloadStart;
}

/// <summary>A node of interest to the batch check (Reshape, Flatten, Constant), with where it lies in the model.</summary>
internal sealed record OnnxNodeRef(string OpType, string Name, string[] Inputs, string[] Outputs, FieldRange Range)
{
    /// <summary>The node's name, or its first output when it has none.</summary>
    public string DisplayName => Name.Length > 0 ? Name : Outputs.FirstOrDefault() ?? "?";
}

/// <summary>
/// The top-level layout of an ONNX ModelProto held in a buffer: where the graph and its inputs, outputs,
/// value_info entries and initializers lie. Nothing is copied; big initializers are only skipped over.
/// </summary>
internal sealed class OnnxModelLayout
{
    /// <summary>ModelProto.ir_version.</summary>
    public long IrVersion { get; private set; }
    /// <summary>ModelProto.producer_name ("" when absent).</summary>
    public string ProducerName { get; private set; } = "";
    /// <summary>ModelProto.opset_import.</summary>
    public List<OnnxOpset> Opsets { get; } = [];
    /// <summary>The ModelProto.graph field.</summary>
    public FieldRange Graph { get; private set; }
    /// <summary>GraphProto.input fields, in order (including initializers listed as inputs).</summary>
    public List<FieldRange> Inputs { get; } = [];
    /// <summary>GraphProto.output fields, in order.</summary>
    public List<FieldRange> Outputs { get; } = [];
    /// <summary>GraphProto.value_info fields, in order.</summary>
    public List<FieldRange> ValueInfos { get; } = [];
    /// <summary>GraphProto.initializer fields by tensor name.</summary>
    public Dictionary<string, FieldRange> Initializers { get; } = new(StringComparer.Ordinal);
    /// <summary>Reshape, Flatten and Constant nodes.</summary>
    public List<OnnxNodeRef> Nodes { get; } = [];
    /// <summary>Number of nodes in the graph.</summary>
    public int NodeCount { get; private set; }

    /// <summary>Reads a model file, turning I/O failures into <see cref="PoseTrackException"/>.</summary>
    public static byte[] ReadFile(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new PoseTrackException($"Cannot read ONNX model '{path}': {e.Message}", inner: e);
        }
    }

    /// <summary>Parses the layout; throws <see cref="PoseTrackException"/> when the bytes are not an ONNX model.</summary>
    public static OnnxModelLayout Parse(ReadOnlySpan<byte> model)
    {
        if (model.IsEmpty) throw NotOnnx("the data is empty");
        var layout = new OnnxModelLayout();
        try
        {
            layout.ParseModel(model);
        }
        catch (InvalidDataException e)
        {
            throw NotOnnx("malformed protobuf: " + e.Message, e);
        }
        return layout;
    }

    private static PoseTrackException NotOnnx(string detail, Exception? inner = null) =>
        new($"Not an ONNX model: {detail}.", inner: inner);

    private void ParseModel(ReadOnlySpan<byte> model)
    {
        bool haveIr = false, haveGraph = false;
        var r = new ProtoReader(model);
        while (r.TryReadField(out var f))
        {
            switch (f.Number)
            {
                case OnnxFields.ModelIrVersion:
                    Expect(f, WireType.Varint, "ModelProto.ir_version");
                    IrVersion = f.Int64;
                    haveIr = true;
                    break;
                case OnnxFields.ModelProducerName:
                    Expect(f, WireType.LengthDelimited, "ModelProto.producer_name");
                    ProducerName = f.String;
                    break;
                case OnnxFields.ModelOpsetImport:
                    Expect(f, WireType.LengthDelimited, "ModelProto.opset_import");
                    Opsets.Add(ReadOpset(f.Payload));
                    break;
                case OnnxFields.ModelGraph:
                    Expect(f, WireType.LengthDelimited, "ModelProto.graph");
                    if (haveGraph) throw NotOnnx("more than one graph field");
                    haveGraph = true;
                    Graph = FieldRange.Of(f, 0);
                    ParseGraph(f.Payload, f.PayloadStart);
                    break;
            }
        }
        if (!haveIr || IrVersion <= 0) throw NotOnnx("no ir_version");
        if (!haveGraph) throw NotOnnx("no graph");
    }

    private static void Expect(in ProtoField f, WireType wire, string what)
    {
        if (f.WireType != wire)
            throw new InvalidDataException($"{what} (field {f.Number}) at byte {f.Start} has wire type {(int)f.WireType}, expected {(int)wire}");
    }

    private static OnnxOpset ReadOpset(ReadOnlySpan<byte> payload)
    {
        string domain = "";
        long version = 0;
        var r = new ProtoReader(payload);
        while (r.TryReadField(out var f))
        {
            if (f.Number == OnnxFields.OpsetDomain && f.WireType == WireType.LengthDelimited) domain = f.String;
            else if (f.Number == OnnxFields.OpsetVersion && f.WireType == WireType.Varint) version = f.Int64;
        }
        return new OnnxOpset(domain, version);
    }

    private void ParseGraph(ReadOnlySpan<byte> graph, int baseOffset)
    {
        var r = new ProtoReader(graph);
        while (r.TryReadField(out var f))
        {
            switch (f.Number)
            {
                case OnnxFields.GraphNode:
                    Expect(f, WireType.LengthDelimited, "GraphProto.node");
                    NodeCount++;
                    var node = ReadNodeOfInterest(f.Payload, FieldRange.Of(f, baseOffset));
                    if (node is not null) Nodes.Add(node);
                    break;
                case OnnxFields.GraphInitializer:
                    Expect(f, WireType.LengthDelimited, "GraphProto.initializer");
                    Initializers[ReadTensorName(f.Payload)] = FieldRange.Of(f, baseOffset);
                    break;
                case OnnxFields.GraphInput:
                    Expect(f, WireType.LengthDelimited, "GraphProto.input");
                    Inputs.Add(FieldRange.Of(f, baseOffset));
                    break;
                case OnnxFields.GraphOutput:
                    Expect(f, WireType.LengthDelimited, "GraphProto.output");
                    Outputs.Add(FieldRange.Of(f, baseOffset));
                    break;
                case OnnxFields.GraphValueInfo:
                    Expect(f, WireType.LengthDelimited, "GraphProto.value_info");
                    ValueInfos.Add(FieldRange.Of(f, baseOffset));
                    break;
            }
        }
    }

    /// <summary>TensorProto.name, skipping over the data fields without copying them.</summary>
    private static string ReadTensorName(ReadOnlySpan<byte> tensor)
    {
        var r = new ProtoReader(tensor);
        string name = "";
        while (r.TryReadField(out var f))
            if (f.Number == OnnxFields.TensorName && f.WireType == WireType.LengthDelimited) name = f.String;
        return name;
    }

    private static OnnxNodeRef? ReadNodeOfInterest(ReadOnlySpan<byte> node, FieldRange range)
    {
        var r = new ProtoReader(node);
        ReadOnlySpan<byte> opType = default;
        while (r.TryReadField(out var f))
            if (f.Number == OnnxFields.NodeOpType && f.WireType == WireType.LengthDelimited) opType = f.Payload;
        string op;
        if (opType.SequenceEqual("Reshape"u8)) op = "Reshape";
        else if (opType.SequenceEqual("Flatten"u8)) op = "Flatten";
        else if (opType.SequenceEqual("Constant"u8)) op = "Constant";
        else return null;

        var inputs = new List<string>();
        var outputs = new List<string>();
        string name = "";
        r = new ProtoReader(node);
        while (r.TryReadField(out var f))
        {
            if (f.WireType != WireType.LengthDelimited) continue;
            if (f.Number == OnnxFields.NodeInput) inputs.Add(f.String);
            else if (f.Number == OnnxFields.NodeOutput) outputs.Add(f.String);
            else if (f.Number == OnnxFields.NodeName) name = f.String;
        }
        return new OnnxNodeRef(op, name, [.. inputs], [.. outputs], range);
    }

    /// <summary>Decodes a ValueInfoProto (name, tensor element type, declared shape).</summary>
    public static OnnxTensorInfo ReadValueInfo(ReadOnlySpan<byte> valueInfo)
    {
        string name = "";
        int elemType = 0;
        List<OnnxDim>? shape = null;
        var r = new ProtoReader(valueInfo);
        while (r.TryReadField(out var f))
        {
            if (f.WireType != WireType.LengthDelimited) continue;
            if (f.Number == OnnxFields.ValueInfoName) name = f.String;
            else if (f.Number == OnnxFields.ValueInfoType) ReadType(f.Payload, ref elemType, ref shape);
        }
        return new OnnxTensorInfo(name, elemType, shape);
    }

    private static void ReadType(ReadOnlySpan<byte> type, ref int elemType, ref List<OnnxDim>? shape)
    {
        var r = new ProtoReader(type);
        while (r.TryReadField(out var f))
        {
            if (f.Number != OnnxFields.TypeTensorType || f.WireType != WireType.LengthDelimited) continue;
            var t = new ProtoReader(f.Payload);
            while (t.TryReadField(out var g))
            {
                if (g.Number == OnnxFields.TensorTypeElemType && g.WireType == WireType.Varint) elemType = (int)g.Int64;
                else if (g.Number == OnnxFields.TensorTypeShape && g.WireType == WireType.LengthDelimited) shape = ReadShape(g.Payload);
            }
        }
    }

    private static List<OnnxDim> ReadShape(ReadOnlySpan<byte> shape)
    {
        var dims = new List<OnnxDim>();
        var r = new ProtoReader(shape);
        while (r.TryReadField(out var f))
        {
            if (f.Number != OnnxFields.ShapeDim || f.WireType != WireType.LengthDelimited) continue;
            long? value = null;
            string? param = null;
            var d = new ProtoReader(f.Payload);
            while (d.TryReadField(out var g))
            {
                if (g.Number == OnnxFields.DimValue && g.WireType == WireType.Varint) { value = g.Int64; param = null; }
                else if (g.Number == OnnxFields.DimParam && g.WireType == WireType.LengthDelimited) { param = g.String; value = null; }
            }
            dims.Add(new OnnxDim(value, param));
        }
        return dims;
    }

    /// <summary>
    /// The int64 elements of a TensorProto (int64_data, packed or not, or raw_data), up to <paramref name="max"/>;
    /// null when the tensor is not INT64.
    /// </summary>
    public static List<long>? ReadInt64Tensor(ReadOnlySpan<byte> tensor, int max = 64)
    {
        int dataType = 0;
        var values = new List<long>();
        var r = new ProtoReader(tensor);
        while (r.TryReadField(out var f))
        {
            switch (f.Number)
            {
                case OnnxFields.TensorDataType when f.WireType == WireType.Varint:
                    dataType = (int)f.Int64;
                    break;
                case OnnxFields.TensorInt64Data when f.WireType == WireType.Varint:
                    if (values.Count < max) values.Add(f.Int64);
                    break;
                case OnnxFields.TensorInt64Data when f.WireType == WireType.LengthDelimited:
                    ReadPackedInt64(f.Payload, values, max);
                    break;
                case OnnxFields.TensorRawData when f.WireType == WireType.LengthDelimited:
                    for (int i = 0; i + 8 <= f.Payload.Length && values.Count < max; i += 8)
                        values.Add(System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(f.Payload[i..]));
                    break;
            }
        }
        return dataType == OnnxFields.TensorDataTypeInt64 ? values : null;
    }

    /// <summary>Appends the varints of a packed repeated int64 payload to <paramref name="values"/>, up to <paramref name="max"/>.</summary>
    public static void ReadPackedInt64(ReadOnlySpan<byte> payload, List<long> values, int max)
    {
        var r = new ProtoReader(payload);
        while (!r.AtEnd && values.Count < max) values.Add(unchecked((long)r.ReadVarint()));
    }
}
