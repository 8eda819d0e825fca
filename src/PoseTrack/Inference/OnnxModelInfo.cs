using Google.Protobuf;
using Onnx;
using PoseTrack.Core;

namespace PoseTrack.Inference;

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
    public static OnnxModelInfo Read(ReadOnlySpan<byte> model) => Of(OnnxModelReader.Parse(model));

    /// <summary>Reads the description of the model file at <paramref name="path"/>.</summary>
    public static OnnxModelInfo Load(string path) => Read(OnnxModelReader.ReadFile(path));

    /// <summary>The description of a parsed model (one that passed <see cref="OnnxModelReader.Parse"/>).</summary>
    public static OnnxModelInfo Of(ModelProto model)
    {
        var graph = model.Graph;
        var initializers = OnnxModelReader.InitializerNames(graph);
        var inputs = graph.Input.Select(OnnxModelReader.TensorInfo).Where(i => !initializers.Contains(i.Name)).ToList();
        var outputs = graph.Output.Select(OnnxModelReader.TensorInfo).ToList();
        var opsets = model.OpsetImport.Select(o => new OnnxOpset(o.Domain, o.Version)).ToList();
        return new OnnxModelInfo(model.IrVersion, model.ProducerName, opsets, inputs, outputs,
            graph.Node.Count, initializers.Count);
    }
}

/// <summary>
/// Reading ONNX models into the ModelProto messages generated from onnx.proto (Inference/Onnx), with the project's
/// errors: a file that cannot be read or bytes that are not an ONNX model raise <see cref="PoseTrackException"/>.
/// </summary>
internal static class OnnxModelReader
{
    /// <summary>TensorProto.DataType INT64.</summary>
    public const int DataTypeInt64 = (int)TensorProto.Types.DataType.Int64;

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

    /// <summary>
    /// Parses a ModelProto; throws <see cref="PoseTrackException"/> when the bytes are not an ONNX model
    /// (empty, malformed protobuf, no positive ir_version, or no graph). A parsed model always has a graph.
    /// </summary>
    public static ModelProto Parse(ReadOnlySpan<byte> model)
    {
        if (model.IsEmpty) throw NotOnnx("the data is empty");
        ModelProto parsed;
        try
        {
            parsed = ModelProto.Parser.ParseFrom(model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw NotOnnx("malformed protobuf: " + e.Message, e);
        }
        if (!parsed.HasIrVersion || parsed.IrVersion <= 0) throw NotOnnx("no ir_version");
        if (parsed.Graph is null) throw NotOnnx("no graph");
        return parsed;
    }

    private static PoseTrackException NotOnnx(string detail, Exception? inner = null) =>
        new($"Not an ONNX model: {detail}.", inner: inner);

    /// <summary>Names of the graph's initializers.</summary>
    public static HashSet<string> InitializerNames(GraphProto graph) =>
        new(graph.Initializer.Select(t => t.Name), StringComparer.Ordinal);

    /// <summary>Decodes a ValueInfoProto (name, tensor element type, declared shape).</summary>
    public static OnnxTensorInfo TensorInfo(ValueInfoProto valueInfo)
    {
        var tensor = valueInfo.Type is { ValueCase: TypeProto.ValueOneofCase.TensorType } t ? t.TensorType : null;
        List<OnnxDim>? shape = tensor?.Shape?.Dim.Select(d => d.ValueCase switch
        {
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => new OnnxDim(d.DimValue, null),
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => new OnnxDim(null, d.DimParam),
            _ => new OnnxDim(null, null),
        }).ToList();
        return new OnnxTensorInfo(valueInfo.Name, tensor?.ElemType ?? 0, shape);
    }

    /// <summary>
    /// The int64 elements of a TensorProto (int64_data or raw_data), up to <paramref name="max"/>;
    /// null when the tensor is not INT64.
    /// </summary>
    public static List<long>? Int64Values(TensorProto tensor, int max = 64)
    {
        if (tensor.DataType != DataTypeInt64) return null;
        var values = tensor.Int64Data.Take(max).ToList();
        var raw = tensor.RawData.Span;
        for (int i = 0; i + 8 <= raw.Length && values.Count < max; i += 8)
            values.Add(System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(raw[i..]));
        return values;
    }
}
