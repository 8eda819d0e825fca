using Google.Protobuf;
using Onnx;

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
/// and writes the ModelProto (the messages generated from onnx.proto, in the runtime assembly).
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

    /// <summary>
    /// Gives the node output <paramref name="from"/> a new name (from <paramref name="hint"/>) in its producer and every
    /// consumer, freeing <paramref name="from"/> for another tensor (a graph output that is to be computed from it).
    /// </summary>
    public string RenameNodeOutput(string from, string hint)
    {
        var to = Unique(hint);
        for (int k = 0; k < _nodes.Count; k++)
        {
            var n = _nodes[k];
            for (int i = 0; i < n.Inputs.Length; i++) if (n.Inputs[i] == from) n.Inputs[i] = to;
            for (int i = 0; i < n.Outputs.Length; i++) if (n.Outputs[i] == from) n.Outputs[i] = to;
            // Nodes are named after their first output, and node names must be unique too.
            if (n.Name == from) _nodes[k] = n with { Name = to };
        }
        return to;
    }

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
        var graph = new GraphProto { Name = graphName };
        graph.Node.AddRange(_nodes.Select(ToProto));
        graph.Initializer.AddRange(_initializers.Select(ToProto));
        graph.Input.AddRange(_inputs.Select(ToProto));
        graph.Output.AddRange(_outputs.Select(ToProto));
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = producer,
            ProducerVersion = producerVersion,
            Graph = graph,
        };
        if (docString.Length > 0) model.DocString = docString;
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model.ToByteArray();
    }

    private static NodeProto ToProto(OnnxNode n)
    {
        // An empty input name is how ONNX marks an optional input that is left out, so empty strings are kept too.
        var node = new NodeProto { Name = n.Name, OpType = n.OpType };
        node.Input.AddRange(n.Inputs);
        node.Output.AddRange(n.Outputs);
        node.Attribute.AddRange(n.Attrs.Select(ToProto));
        return node;
    }

    private static AttributeProto ToProto(OnnxAttr a)
    {
        var attr = new AttributeProto { Name = a.Name };
        switch (a.Type)
        {
            case OnnxAttrType.Int: attr.I = a.I; break;
            case OnnxAttrType.Float: attr.F = a.F; break;
            case OnnxAttrType.String: attr.S = ByteString.CopyFromUtf8(a.S!); break;
            case OnnxAttrType.Ints: attr.Ints.AddRange(a.Ints!); break;
            case OnnxAttrType.Floats: attr.Floats.AddRange(a.Floats!); break;
        }
        attr.Type = (AttributeProto.Types.AttributeType)a.Type;
        return attr;
    }

    private static TensorProto ToProto(OnnxInitializer t)
    {
        var tensor = new TensorProto
        {
            DataType = (int)t.Type,
            Name = t.Name,
            // The builder's arrays are not changed after they are added, so they can back the message without a copy.
            RawData = UnsafeByteOperations.UnsafeWrap(t.Raw),
        };
        tensor.Dims.AddRange(t.Dims.Select(d => (long)d));
        return tensor;
    }

    private static ValueInfoProto ToProto(OnnxIo io)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)io.Type };
        if (io.Dims is not null)
        {
            tensorType.Shape = new TensorShapeProto();
            foreach (var d in io.Dims)
            {
                var dim = new TensorShapeProto.Types.Dimension();
                if (d is not null)
                {
                    if (long.TryParse(d, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var v))
                        dim.DimValue = v;
                    else dim.DimParam = d;
                }
                tensorType.Shape.Dim.Add(dim);
            }
        }
        return new ValueInfoProto { Name = io.Name, Type = new TypeProto { TensorType = tensorType } };
    }
}
