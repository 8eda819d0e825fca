using PoseTrack.Inference;

namespace PoseTrack.ModelImport;

/// <summary>An ONNX node attribute (AttributeProto): one int, float, string or list of ints/floats.</summary>
internal sealed record OnnxAttr(string Name, OnnxAttrType Type, long I = 0, float F = 0, string? S = null, long[]? Ints = null, float[]? Floats = null)
{
    /// <summary>An INT attribute.</summary>
    public static OnnxAttr Int(string name, long v) => new(name, OnnxAttrType.Int, I: v);
    /// <summary>A FLOAT attribute.</summary>
    public static OnnxAttr Float(string name, float v) => new(name, OnnxAttrType.Float, F: v);
    /// <summary>A STRING attribute.</summary>
    public static OnnxAttr String(string name, string v) => new(name, OnnxAttrType.String, S: v);
    /// <summary>An INTS attribute.</summary>
    public static OnnxAttr IntList(string name, params long[] v) => new(name, OnnxAttrType.Ints, Ints: v);
}

/// <summary>AttributeProto.AttributeType values used here.</summary>
internal enum OnnxAttrType { Float = 1, Int = 2, String = 3, Floats = 6, Ints = 7 }

/// <summary>A node to be written: op type, inputs ("" = optional input left out), outputs and attributes.</summary>
internal sealed record OnnxNode(string OpType, string Name, string[] Inputs, string[] Outputs, OnnxAttr[] Attrs);

/// <summary>A graph input or output: name, element type, and dims (a number, a symbol, or null for unknown).</summary>
internal sealed record OnnxIo(string Name, ElemType Type, string?[]? Dims);

/// <summary>An initializer: its bytes are already in ONNX raw_data layout.</summary>
internal sealed record OnnxInitializer(string Name, ElemType Type, int[] Dims, byte[] Raw);

/// <summary>
/// Collects the nodes, initializers, inputs and outputs of one ONNX graph, removes what the outputs do not need,
/// and writes the ModelProto with <see cref="ProtoWriter"/>.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>ONNX IR version written (IR 8 goes with opset 17..18).</summary>
    public const long IrVersion = 8;
    /// <summary>Default-domain opset written.</summary>
    public const long Opset = 17;

    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly List<OnnxNode> _nodes = [];
    private readonly List<OnnxInitializer> _initializers = [];
    private readonly List<OnnxIo> _inputs = [];
    private readonly List<OnnxIo> _outputs = [];

    /// <summary>Nodes so far.</summary>
    public IReadOnlyList<OnnxNode> Nodes => _nodes;
    /// <summary>Initializers so far.</summary>
    public IReadOnlyList<OnnxInitializer> Initializers => _initializers;

    /// <summary>Reserves <paramref name="hint"/> as a tensor name, adding a numeric suffix when it is taken.</summary>
    public string Unique(string hint)
    {
        if (_names.Add(hint)) return hint;
        for (int i = 1; ; i++)
        {
            var n = $"{hint}__{i}";
            if (_names.Add(n)) return n;
        }
    }

    /// <summary>Marks a name as used without creating anything (names of TF tensors reserved up front).</summary>
    public bool Reserve(string name) => _names.Add(name);

    /// <summary>Adds a node with one output named after <paramref name="hint"/>; returns the output name.</summary>
    public string Add(string op, string hint, string[] inputs, params OnnxAttr[] attrs) => AddWithOutputs(op, [Unique(hint)], inputs, attrs)[0];

    /// <summary>Adds a node whose output names are already reserved.</summary>
    public string[] AddWithOutputs(string op, string[] outputs, string[] inputs, params OnnxAttr[] attrs)
    {
        _nodes.Add(new OnnxNode(op, outputs[0], inputs, outputs, attrs));
        return outputs;
    }

    /// <summary>Adds an initializer holding <paramref name="value"/> stored as <paramref name="type"/>; returns its name.</summary>
    public string AddInitializer(string hint, ConstTensor value, ElemType type)
    {
        var name = Unique(hint);
        _initializers.Add(new OnnxInitializer(name, type, value.Shape, value.ToRaw(type)));
        return name;
    }

    /// <summary>Adds an initializer under a name already reserved.</summary>
    public void AddInitializerNamed(string name, ConstTensor value, ElemType type) =>
        _initializers.Add(new OnnxInitializer(name, type, value.Shape, value.ToRaw(type)));

    /// <summary>An int64 vector initializer.</summary>
    public string Int64s(string hint, params long[] values) => AddInitializer(hint, ConstTensor.Int64Vector(values), ElemType.Int64);

    /// <summary>Declares a graph input.</summary>
    public void AddInput(OnnxIo io) => _inputs.Add(io);

    /// <summary>Declares a graph output.</summary>
    public void AddOutput(OnnxIo io) => _outputs.Add(io);

    /// <summary>Removes nodes and initializers no graph output depends on (the importer emits some layout helpers eagerly).</summary>
    public void Prune()
    {
        var needed = new HashSet<string>(_outputs.Select(o => o.Name), StringComparer.Ordinal);
        var producer = new Dictionary<string, OnnxNode>(StringComparer.Ordinal);
        foreach (var n in _nodes) foreach (var o in n.Outputs) producer[o] = n;
        var keep = new HashSet<OnnxNode>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<string>(needed);
        while (stack.Count > 0)
        {
            var t = stack.Pop();
            if (!producer.TryGetValue(t, out var n) || !keep.Add(n)) continue;
            foreach (var i in n.Inputs)
                if (i.Length > 0 && needed.Add(i)) stack.Push(i);
        }
        _nodes.RemoveAll(n => !keep.Contains(n));
        _initializers.RemoveAll(i => !needed.Contains(i.Name));
    }

    /// <summary>Writes the ModelProto.</summary>
    public byte[] Serialize(string graphName, string producer, string producerVersion, string docString)
    {
        var g = new ProtoWriter(1 << 16);
        foreach (var n in _nodes) g.WriteBytesField(OnnxFields.GraphNode, WriteNode(n));
        g.WriteStringField(GraphName, graphName);
        foreach (var i in _initializers) g.WriteBytesField(OnnxFields.GraphInitializer, WriteTensor(i));
        foreach (var i in _inputs) g.WriteBytesField(OnnxFields.GraphInput, WriteValueInfo(i));
        foreach (var o in _outputs) g.WriteBytesField(OnnxFields.GraphOutput, WriteValueInfo(o));

        var m = new ProtoWriter(g.Length + 256);
        m.WriteInt64Field(OnnxFields.ModelIrVersion, IrVersion);
        m.WriteStringField(OnnxFields.ModelProducerName, producer);
        m.WriteStringField(ModelProducerVersion, producerVersion);
        if (docString.Length > 0) m.WriteStringField(ModelDocString, docString);
        m.WriteBytesField(OnnxFields.ModelGraph, g.WrittenSpan);
        var opset = new ProtoWriter();
        opset.WriteStringField(OnnxFields.OpsetDomain, "");
        opset.WriteInt64Field(OnnxFields.OpsetVersion, Opset);
        m.WriteBytesField(OnnxFields.ModelOpsetImport, opset.WrittenSpan);
        return m.ToArray();
    }

    // Field numbers of onnx.proto not listed in OnnxFields (which only covers what the project reads).
    private const int ModelProducerVersion = 3;
    private const int ModelDocString = 6;
    private const int GraphName = 2;
    private const int AttrF = 2;
    private const int AttrS = 4;
    private const int AttrFloats = 7;
    private const int AttrType = 20;
    private const int TensorDims = 1;

    private static ReadOnlySpan<byte> WriteNode(OnnxNode n)
    {
        var w = new ProtoWriter(128);
        // An empty input name is how ONNX marks an optional input that is left out, so empty strings are written too.
        foreach (var i in n.Inputs) w.WriteStringField(OnnxFields.NodeInput, i);
        foreach (var o in n.Outputs) w.WriteStringField(OnnxFields.NodeOutput, o);
        w.WriteStringField(OnnxFields.NodeName, n.Name);
        w.WriteStringField(OnnxFields.NodeOpType, n.OpType);
        foreach (var a in n.Attrs) w.WriteBytesField(OnnxFields.NodeAttribute, WriteAttr(a));
        return w.WrittenSpan;
    }

    private static ReadOnlySpan<byte> WriteAttr(OnnxAttr a)
    {
        var w = new ProtoWriter(32);
        w.WriteStringField(OnnxFields.AttrName, a.Name);
        switch (a.Type)
        {
            case OnnxAttrType.Int: w.WriteInt64Field(OnnxFields.AttrI, a.I); break;
            case OnnxAttrType.Float: w.WriteFixed32Field(AttrF, BitConverter.SingleToUInt32Bits(a.F)); break;
            case OnnxAttrType.String: w.WriteStringField(AttrS, a.S!); break;
            case OnnxAttrType.Ints: foreach (var v in a.Ints!) w.WriteInt64Field(OnnxFields.AttrInts, v); break;
            case OnnxAttrType.Floats: foreach (var v in a.Floats!) w.WriteFixed32Field(AttrFloats, BitConverter.SingleToUInt32Bits(v)); break;
        }
        w.WriteVarintField(AttrType, (ulong)a.Type);
        return w.WrittenSpan;
    }

    private static ReadOnlySpan<byte> WriteTensor(OnnxInitializer t)
    {
        var w = new ProtoWriter(t.Raw.Length + 64);
        foreach (var d in t.Dims) w.WriteInt64Field(TensorDims, d);
        w.WriteVarintField(OnnxFields.TensorDataType, (ulong)t.Type);
        w.WriteStringField(OnnxFields.TensorName, t.Name);
        w.WriteBytesField(OnnxFields.TensorRawData, t.Raw);
        return w.WrittenSpan;
    }

    private static ReadOnlySpan<byte> WriteValueInfo(OnnxIo io)
    {
        var tensorType = new ProtoWriter(64);
        tensorType.WriteVarintField(OnnxFields.TensorTypeElemType, (ulong)io.Type);
        if (io.Dims is not null)
        {
            var shape = new ProtoWriter(64);
            foreach (var d in io.Dims)
            {
                var dim = new ProtoWriter(16);
                if (d is not null)
                {
                    if (long.TryParse(d, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var v))
                        dim.WriteInt64Field(OnnxFields.DimValue, v);
                    else dim.WriteStringField(OnnxFields.DimParam, d);
                }
                shape.WriteBytesField(OnnxFields.ShapeDim, dim.WrittenSpan);
            }
            tensorType.WriteBytesField(OnnxFields.TensorTypeShape, shape.WrittenSpan);
        }
        var type = new ProtoWriter(64);
        type.WriteBytesField(OnnxFields.TypeTensorType, tensorType.WrittenSpan);
        var w = new ProtoWriter(64);
        w.WriteStringField(OnnxFields.ValueInfoName, io.Name);
        w.WriteBytesField(OnnxFields.ValueInfoType, type.WrittenSpan);
        return w.WrittenSpan;
    }
}
