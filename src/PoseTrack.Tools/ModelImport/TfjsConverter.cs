using System.Globalization;
using PoseTrack.Core;

namespace PoseTrack.ModelImport;

/// <summary>
/// A tensor of the TF graph during conversion: its ONNX name, element type, static shape (null = unknown rank,
/// -1 = unknown dim) and, when it is known at import time, its value. Constants become initializers only when a node uses them.
/// </summary>
internal sealed class TfValue
{
    public required string Name { get; init; }
    public required ElemType Type { get; init; }
    public int[]? Shape { get; init; }
    public ConstTensor? Const { get; init; }
    /// <summary>True once the constant has been written as an initializer (or the value was produced by a node).</summary>
    public bool Emitted { get; set; }
    public int? Rank => Shape?.Length;
}

/// <summary>
/// Converts a <see cref="TfjsGraphModel"/> to an ONNX graph (opset 17). TF ops are mapped one by one in dependency order;
/// ops whose inputs are all constants are folded where that is cheap. NHWC tensors stay NHWC; convolutions, pools and
/// resizes run in NCHW, and the NCHW form of each tensor is remembered so chains of such ops share one layout and the
/// Transposes between them disappear (unused ones are pruned before writing).
/// </summary>
internal sealed partial class TfjsConverter
{
    private readonly TfjsGraphModel _model;
    private readonly TfjsImportOptions _options;
    private readonly OnnxGraphBuilder _g = new();
    private readonly Dictionary<string, TfValue[]> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _nchw = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Action<TfNode>> _handlers;
    private readonly SortedDictionary<string, int> _opCounts = new(StringComparer.Ordinal);
    private readonly List<OnnxIo> _inputs = [];

    /// <summary>Creates a converter for one model.</summary>
    public TfjsConverter(TfjsGraphModel model, TfjsImportOptions options)
    {
        _model = model;
        _options = options;
        _handlers = BuildHandlers();
    }

    /// <summary>
    /// Written as the model's producer_version. Not the assembly version, so that a release alone does not change the
    /// bytes of a conversion; raise it when the importer's output changes.
    /// </summary>
    public const string FormatVersion = "1";

    private static IReadOnlyList<string>? _supportedOps;

    /// <summary>The TF ops this converter maps, sorted.</summary>
    // Built on first use: a static initializer could run before the op tables of the other partial files.
    public static IReadOnlyList<string> SupportedOps => _supportedOps ??=
        [.. new TfjsConverter(new TfjsGraphModel { Nodes = [], Weights = [], SignatureOutputs = [], SourceSha256 = "" }, new())
            ._handlers.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Converts the whole graph; returns the ModelProto bytes and fills <paramref name="report"/>.</summary>
    public byte[] Convert(out TfjsImportReport report)
    {
        var byName = new Dictionary<string, TfNode>(StringComparer.Ordinal);
        foreach (var n in _model.Nodes)
            if (!byName.TryAdd(n.Name, n)) throw new PoseTrackException($"The TFJS graph has two nodes named '{n.Name}'.");
        foreach (var n in _model.Nodes) _g.Reserve(n.Name);

        // The graph's outputs (named as TF names them), then the extra ones under the names asked for.
        var named = OutputRefs(byName).Select(o => (Name: o.Index == 0 ? o.Node : $"{o.Node}:{o.Index}", o.Node, o.Index)).ToList();
        foreach (var (outName, tf) in _options.ExtraOutputs)
        {
            var r = ParseRef(tf);
            if (!byName.ContainsKey(r.Node)) throw new PoseTrackException($"TFJS import: extra output '{outName}' names node '{r.Node}', which the graph does not have.");
            named.Add((outName, r.Node, r.Index));
        }
        foreach (var node in TopologicalOrder(byName, named.Select(o => (o.Node, o.Index)).ToList()))
        {
            if (!_handlers.TryGetValue(node.Op, out var handler))
                throw new PoseTrackException($"TFJS import: op '{node.Op}' (node '{node.Name}') is not supported. Supported ops: {string.Join(", ", SupportedOps)}.");
            _opCounts[node.Op] = _opCounts.GetValueOrDefault(node.Op) + 1;
            try
            {
                handler(node);
            }
            catch (Exception e) when (e is not PoseTrackException)
            {
                // Inconsistent graphs (wrong input counts, shapes that do not fit) surface here; name the node.
                throw new PoseTrackException($"TFJS import: cannot convert {node}: {e.Message}", inner: e);
            }
        }

        foreach (var i in _inputs) _g.AddInput(i);
        var outInfos = new List<OnnxIo>();
        foreach (var (name, node, index) in named)
        {
            var v = Get(node, index, "graph output");
            var src = Use(v);
            var shape = v.Shape;
            if (_options.ChannelsFirstOutputs.TryGetValue(name, out var order))
                (src, shape) = ChannelsFirst(name, src, shape, order);
            // Outputs keep their TF names so callers can find them; an Identity bridges when the value has another name.
            if (src != name) { _g.Reserve(name); _g.AddWithOutputs("Identity", [name], [src]); }
            var info = new OnnxIo(name, v.Type, shape?.Select(d => d < 0 ? null : d.ToString(CultureInfo.InvariantCulture)).ToArray());
            outInfos.Add(info);
            _g.AddOutput(info);
        }
        _g.Prune();

        var doc = $"Converted by PoseTrack's TFJS importer from a TensorFlow.js graph model (sha256 of model.json + shards {_model.SourceSha256})"
                  + (_model.GeneratedBy.Length > 0 ? $"; original: {_model.GeneratedBy}" : "") + ".";
        var bytes = _g.Serialize("tfjs_import", "PoseTrack.TfjsImporter", FormatVersion, doc);
        report = new TfjsImportReport
        {
            Inputs = _inputs.Select(Describe).ToArray(),
            Outputs = outInfos.Select(Describe).ToArray(),
            TfOps = new SortedDictionary<string, int>(_opCounts),
            OnnxOps = _g.Nodes.GroupBy(n => n.OpType).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            InitializerCount = _g.Initializers.Count,
            DynamicBatch = _inputs.Count > 0 && _inputs.All(i => i.Dims is { Length: > 0 } d && (d[0] is null || !char.IsDigit(d[0]![0]))),
            SourceSha256 = _model.SourceSha256,
        };
        return bytes;
    }

    /// <summary>
    /// A channels-last output [N,H,W,C] as [N,C,H,W] (<see cref="TfjsImportOptions.ChannelsFirstOutputs"/>), its channels
    /// picked in <paramref name="order"/> when given; returns the new tensor's name and shape.
    /// </summary>
    private (string Name, int[]? Shape) ChannelsFirst(string output, string src, int[]? shape, int[]? order)
    {
        // A value that already has the output's name keeps its values under another: the output's name is for the result.
        if (src == output)
        {
            if (!_g.Nodes.Any(n => n.Outputs.Contains(output)))
                throw new PoseTrackException($"TFJS import: output '{output}' is not computed by a node, so it cannot be made channels first");
            src = _g.RenameNodeOutput(output, output + "_nhwc");
        }
        if (shape is { Length: not 4 })
            throw new PoseTrackException($"TFJS import: output '{output}' has shape {ShapeUtil.Text(shape)}, not the [N,H,W,C] a channels-first output needs");
        int channels = shape?[3] ?? -1;
        if (order is not null && (order.Length != channels || order.Any(c => c < 0 || c >= channels)))
            throw new PoseTrackException($"TFJS import: output '{output}' has {channels} channels; the channel order given picks {order.Length} of 0..{channels - 1}");
        var nchw = _g.Add("Transpose", output + "_nchw", [src], OnnxAttr.IntList("perm", 0, 3, 1, 2));
        if (order is not null)
            nchw = _g.Add("Gather", output + "_ordered", [nchw, _g.Int64s(output + "_order", [.. order.Select(c => (long)c)])], OnnxAttr.Int("axis", 1));
        return (nchw, shape is null ? null : [shape[0], shape[3], shape[1], shape[2]]);
    }

    private static string Describe(OnnxIo io) =>
        $"{io.Name} {io.Type.ToString().ToLowerInvariant()} [{(io.Dims is null ? "?" : string.Join(",", io.Dims.Select(d => d ?? "?")))}]";

    /// <summary>Graph outputs: the signature's outputs, or else every non-constant node nothing else reads.</summary>
    private List<(string Node, int Index)> OutputRefs(Dictionary<string, TfNode> byName)
    {
        var refs = new List<(string, int)>();
        if (_model.SignatureOutputs.Count > 0)
        {
            foreach (var s in _model.SignatureOutputs)
            {
                var r = ParseRef(s);
                if (!byName.ContainsKey(r.Node)) throw new PoseTrackException($"The signature names output '{s}', but the graph has no node '{r.Node}'.");
                refs.Add(r);
            }
            return refs;
        }
        var consumed = new HashSet<string>(_model.Nodes.SelectMany(n => n.Inputs).Select(i => ParseRef(i).Node), StringComparer.Ordinal);
        foreach (var n in _model.Nodes)
            if (!consumed.Contains(n.Name) && n.Op is not ("Const" or "Placeholder" or "NoOp")) refs.Add((n.Name, 0));
        if (refs.Count == 0) throw new PoseTrackException("The TFJS graph has no outputs.");
        return refs;
    }

    /// <summary>"node:2" → ("node", 2); "node" → ("node", 0).</summary>
    internal static (string Node, int Index) ParseRef(string r)
    {
        int c = r.LastIndexOf(':');
        if (c > 0 && int.TryParse(r.AsSpan(c + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int k)) return (r[..c], k);
        return (r, 0);
    }

    private static List<TfNode> TopologicalOrder(Dictionary<string, TfNode> byName, List<(string Node, int Index)> outputs)
    {
        var order = new List<TfNode>();
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = in progress, 2 = done
        // The walk is iterative: deep graphs would overflow the stack with recursion.
        foreach (var (root, _) in outputs)
        {
            var stack = new Stack<(TfNode Node, int Next)>();
            if (state.ContainsKey(root)) continue;
            stack.Push((byName[root], 0));
            state[root] = 1;
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                if (next < node.Inputs.Length)
                {
                    stack.Push((node, next + 1));
                    var dep = ParseRef(node.Inputs[next]).Node;
                    if (!byName.TryGetValue(dep, out var depNode))
                        throw new PoseTrackException($"TFJS import: node '{node.Name}' reads '{node.Inputs[next]}', which no node produces.");
                    if (state.TryGetValue(dep, out int s))
                    {
                        if (s == 1) throw new PoseTrackException($"TFJS import: the graph has a cycle through '{dep}' (control flow is not supported).");
                        continue;
                    }
                    state[dep] = 1;
                    stack.Push((depNode, 0));
                }
                else
                {
                    state[node.Name] = 2;
                    order.Add(node);
                }
            }
        }
        return order;
    }

    // ---------------------------------------------------------------- values

    private TfValue Get(string node, int index, string what)
    {
        if (!_values.TryGetValue(node, out var outs) || index >= outs.Length)
            throw new PoseTrackException($"TFJS import: {what} reads '{node}:{index}', which was not produced.");
        return outs[index];
    }

    /// <summary>Input <paramref name="i"/> of <paramref name="n"/>.</summary>
    private TfValue In(TfNode n, int i)
    {
        if (i >= n.Inputs.Length) throw new PoseTrackException($"TFJS import: {n} has {n.Inputs.Length} inputs, needs at least {i + 1}.");
        var (node, index) = ParseRef(n.Inputs[i]);
        return Get(node, index, n.ToString());
    }

    /// <summary>Input <paramref name="i"/>, which must be known at import time.</summary>
    private ConstTensor ConstIn(TfNode n, int i, string role) =>
        In(n, i).Const ?? throw new PoseTrackException($"TFJS import: {n}: the {role} (input {i}) must be a constant; computed {role}s are not supported.");

    /// <summary>The ONNX name of output 0 of a TF node (reserved for it up front); further outputs get unique "name:k" names.</summary>
    private static string OutName(TfNode n) => n.Name;

    /// <summary>Sets the outputs of <paramref name="n"/>.</summary>
    private void Set(TfNode n, params TfValue[] outs) => _values[n.Name] = outs;

    /// <summary>A value produced by a node already emitted under <paramref name="name"/>.</summary>
    private static TfValue Produced(string name, ElemType type, int[]? shape) => new() { Name = name, Type = type, Shape = shape, Emitted = true };

    /// <summary>The single output of <paramref name="n"/> as a constant.</summary>
    private void SetConst(TfNode n, ConstTensor c) => Set(n, ConstValue(OutName(n), c));

    /// <summary>A constant value under <paramref name="name"/>, which the caller has reserved.</summary>
    private static TfValue ConstValue(string name, ConstTensor c) => new() { Name = name, Type = c.Type, Shape = c.Shape, Const = c };

    /// <summary>The ONNX name of <paramref name="v"/>, writing its initializer first when it is a constant not yet written.</summary>
    private string Use(TfValue v)
    {
        if (v.Emitted) return v.Name;
        var c = v.Const!;
        v.Emitted = true;
        if (_options.KeepFloat16Weights && c.Type == ElemType.Float && c.FromHalf && c.Count >= 16)
        {
            // float16 storage halves the file; ONNX Runtime folds the Cast back to float32 when it loads the model.
            var half = _g.AddInitializer(v.Name + "/f16", c, ElemType.Float16);
            _g.AddWithOutputs("Cast", [v.Name], [half], OnnxAttr.Int("to", (long)ElemType.Float));
        }
        else _g.AddInitializerNamed(v.Name, c, c.Type);
        return v.Name;
    }

    /// <summary>A new constant tensor (weights rearranged for ONNX, helper values) as an initializer.</summary>
    private string UseConst(string hint, ConstTensor c) => Use(ConstValue(_g.Unique(hint), c));

    /// <summary><paramref name="v"/> as int64 (ONNX wants int64 shapes, axes and indices where TF uses int32).</summary>
    private string UseInt64(TfValue v, string hint)
    {
        if (v.Type == ElemType.Int64) return Use(v);
        if (v.Const is { } c) return _g.AddInitializer(hint, c.CastTo(ElemType.Int64), ElemType.Int64);
        return _g.Add("Cast", hint, [Use(v)], OnnxAttr.Int("to", (long)ElemType.Int64));
    }

    private TfValue Emit(TfNode n, string op, string[] inputs, ElemType type, int[]? shape, params OnnxAttr[] attrs)
    {
        var name = OutName(n);
        _g.AddWithOutputs(op, [name], inputs, attrs);
        var v = Produced(name, type, shape);
        Set(n, v);
        return v;
    }

    private string Helper(TfNode n, string op, string suffix, string[] inputs, params OnnxAttr[] attrs) =>
        _g.Add(op, $"{n.Name}/{suffix}", inputs, attrs);

    // ---------------------------------------------------------------- layout

    private static readonly long[] ToNchw = [0, 3, 1, 2];
    private static readonly long[] ToNhwc = [0, 2, 3, 1];

    /// <summary>The NCHW form of a rank-4 NHWC tensor, reusing an earlier one when there is one.</summary>
    private string Nchw(TfValue v)
    {
        if (_nchw.TryGetValue(v.Name, out var n)) return n;
        string t;
        if (v.Const is { } c) t = UseConst(v.Name + "/nchw", c.Transpose([0, 3, 1, 2]));
        else t = _g.Add("Transpose", v.Name + "/nchw", [Use(v)], OnnxAttr.IntList("perm", ToNchw));
        _nchw[v.Name] = t;
        return t;
    }

    /// <summary>Output 0 of <paramref name="n"/> from an NCHW result: a Transpose back to NHWC, with the NCHW form remembered.</summary>
    private TfValue FromNchw(TfNode n, string nchw, ElemType type, int[]? nhwcShape)
    {
        var name = OutName(n);
        _g.AddWithOutputs("Transpose", [name], [nchw], OnnxAttr.IntList("perm", ToNhwc));
        _nchw[name] = nchw;
        var v = Produced(name, type, nhwcShape);
        Set(n, v);
        return v;
    }

    /// <summary>
    /// The operand of an element-wise op computed in NCHW: the NCHW form of a tensor that has one, a constant that
    /// broadcasts the same in both layouts (one value), or a per-channel constant ([C], [1,1,1,C]) reshaped to [C,1,1].
    /// </summary>
    private bool TryNchwOperand(TfValue v, out string name)
    {
        name = "";
        if (_nchw.TryGetValue(v.Name, out var n)) { name = n; return true; }
        if (v.Const is not { } c) return false;
        if (c.Count == 1 && c.Rank <= 4) { name = Use(v); return true; }
        if (c.Rank is >= 1 and <= 4 && c.Shape[..^1].All(d => d == 1))
        {
            name = UseConst(v.Name + "/nchw", c.WithShape([c.Shape[^1], 1, 1]));
            return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- helpers

    private static int Axis(long axis, int rank, TfNode n)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new PoseTrackException($"TFJS import: {n}: axis {axis} is out of range for rank {rank}.");
        return (int)a;
    }

    private static int RankOf(TfValue v, TfNode n, string why) =>
        v.Rank ?? throw new PoseTrackException($"TFJS import: {n}: the input's rank must be known at import time ({why}).");

    private static int[]? Conv4(int[]? shape) => shape is { Length: 4 } ? shape : null;

    private static ElemType OutType(TfNode n, string attr, ElemType fallback) =>
        n.Type(attr) is { } t ? ElemTypes.FromTf(t, n) : fallback;

    private Dictionary<string, Action<TfNode>> BuildHandlers()
    {
        var h = new Dictionary<string, Action<TfNode>>(StringComparer.Ordinal)
        {
            ["Const"] = ConstOp,
            ["Placeholder"] = PlaceholderOp,
            ["Identity"] = IdentityOp,
            ["StopGradient"] = IdentityOp,
            ["Snapshot"] = IdentityOp,
            ["IdentityN"] = n => Set(n, Enumerable.Range(0, n.Inputs.Length).Select(i => In(n, i)).ToArray()),
            ["Cast"] = CastOp,
            ["Shape"] = ShapeOp,
            ["Reshape"] = ReshapeOp,
            ["ExpandDims"] = ExpandDimsOp,
            ["Squeeze"] = SqueezeOp,
            ["Pack"] = PackOp,
            ["Unpack"] = UnpackOp,
            ["ConcatV2"] = n => ConcatOp(n, n.Inputs.Length - 1, 0),
            ["Concat"] = n => ConcatOp(n, 0, 1),
            ["StridedSlice"] = StridedSliceOp,
            ["Slice"] = SliceOp,
            ["Transpose"] = TransposeOp,
            ["Pad"] = PadOp,
            ["PadV2"] = PadOp,
            ["MirrorPad"] = PadOp,
            ["Tile"] = TileOp,
            ["GatherV2"] = GatherOp,
            ["GatherNd"] = GatherNdOp,
            ["ArgMax"] = n => ArgOp(n, "ArgMax"),
            ["ArgMin"] = n => ArgOp(n, "ArgMin"),
            ["Mean"] = n => ReduceOp(n, "ReduceMean"),
            ["Sum"] = n => ReduceOp(n, "ReduceSum"),
            ["Max"] = n => ReduceOp(n, "ReduceMax"),
            ["Min"] = n => ReduceOp(n, "ReduceMin"),
            ["Prod"] = n => ReduceOp(n, "ReduceProd"),
            ["Select"] = SelectOp,
            ["SelectV2"] = SelectOp,
            ["Conv2D"] = ConvOp,
            ["_FusedConv2D"] = ConvOp,
            ["DepthwiseConv2dNative"] = ConvOp,
            ["FusedDepthwiseConv2dNative"] = ConvOp,
            ["Conv2DBackpropInput"] = ConvOp,
            ["MaxPool"] = n => PoolOp(n, "MaxPool"),
            ["AvgPool"] = n => PoolOp(n, "AveragePool"),
            ["ResizeBilinear"] = n => ResizeOp(n, nearest: false),
            ["ResizeNearestNeighbor"] = n => ResizeOp(n, nearest: true),
            ["MatMul"] = MatMulOp,
            ["_FusedMatMul"] = MatMulOp,
            ["BatchMatMul"] = MatMulOp,
            ["BatchMatMulV2"] = MatMulOp,
            ["FusedBatchNorm"] = BatchNormOp,
            ["FusedBatchNormV3"] = BatchNormOp,
            ["BiasAdd"] = BiasAddOp,
            ["Softmax"] = n => Unary(n, "Softmax", null, OnnxAttr.Int("axis", -1)),
            ["LogSoftmax"] = n => Unary(n, "LogSoftmax", null, OnnxAttr.Int("axis", -1)),
        };
        foreach (var (tf, onnx) in BinaryOps) h[tf] = n => BinaryOp(n, onnx);
        foreach (var (tf, (onnx, fold)) in UnaryOps) h[tf] = n => Unary(n, onnx, fold);
        h["Relu6"] = n => ClipOp(n, 0, 6);
        h["LeakyRelu"] = n => Unary(n, "LeakyRelu", null, OnnxAttr.Float("alpha", n.Float("alpha", 0.2f)));
        h["Rsqrt"] = RsqrtOp;
        h["Square"] = SquareOp;
        h["SquaredDifference"] = SquaredDifferenceOp;
        h["FloorDiv"] = FloorDivOp;
        h["FloorMod"] = FloorModOp;
        h["NotEqual"] = NotEqualOp;
        return h;
    }

    // ---------------------------------------------------------------- basic ops

    private void ConstOp(TfNode n)
    {
        if (!_model.Weights.TryGetValue(n.Name, out var c))
            throw new PoseTrackException($"TFJS import: Const node '{n.Name}' has no entry in the weights manifest.");
        var dt = n.Type("dtype");
        if (dt is not null && ElemTypes.FromTf(dt, n) != c.Type) c = c.CastTo(ElemTypes.FromTf(dt, n));
        SetConst(n, c);
    }

    private void PlaceholderOp(TfNode n)
    {
        var type = OutType(n, "dtype", ElemType.Float);
        var shape = n.Shape("shape");
        string?[]? Dims(int[]? s, string[] symbols) =>
            s?.Select((d, i) => d >= 0 ? d.ToString(CultureInfo.InvariantCulture) : (i < symbols.Length ? symbols[i] : null)).ToArray();
        if (!_options.AdaptInputLayout)
        {
            _inputs.Add(new OnnxIo(n.Name, type, Dims(shape, ["N"])));
            Set(n, Produced(n.Name, type, shape));
            return;
        }
        if (shape is not { Length: 4 } || (shape[3] != 3 && shape[3] != -1))
            throw new PoseTrackException($"TFJS import: input layout adaptation needs an image input [N,H,W,3], but '{n.Name}' is {ShapeUtil.Text(shape)}; turn the adaptation off to keep the graph's own input.");
        // PoseTrack feeds planar float RGB (mean 0, std 1): NCHW float in, NHWC of the graph's type inside. The NCHW
        // form is remembered, so when the graph's first ops are element-wise and then a convolution no Transpose is left.
        int[] nchw = [shape[0], 3, shape[1], shape[2]];
        _inputs.Add(new OnnxIo(n.Name, ElemType.Float, Dims(nchw, ["N", "C", "H", "W"])));
        var src = n.Name;
        if (type != ElemType.Float) src = _g.Add("Cast", n.Name + "/cast", [n.Name], OnnxAttr.Int("to", (long)type));
        var nhwc = _g.Unique(n.Name + "/nhwc");
        _g.AddWithOutputs("Transpose", [nhwc], [src], OnnxAttr.IntList("perm", ToNhwc));
        _nchw[nhwc] = src;
        Set(n, Produced(nhwc, type, [shape[0], shape[1], shape[2], 3]));
    }

    private void IdentityOp(TfNode n) => Set(n, In(n, 0));

    private void CastOp(TfNode n)
    {
        var x = In(n, 0);
        var to = OutType(n, "DstT", x.Type);
        if (x.Const is { } c) { SetConst(n, c.CastTo(to)); return; }
        if (to == x.Type) { Set(n, x); return; }
        if (x.Rank == 4 && _nchw.TryGetValue(x.Name, out var xn))
            FromNchw(n, Helper(n, "Cast", "nchw", [xn], OnnxAttr.Int("to", (long)to)), to, x.Shape);
        else Emit(n, "Cast", [Use(x)], to, x.Shape, OnnxAttr.Int("to", (long)to));
    }

    private void ShapeOp(TfNode n)
    {
        var x = In(n, 0);
        var to = OutType(n, "out_type", ElemType.Int32);
        if (ShapeUtil.IsStatic(x.Shape))
        {
            SetConst(n, ConstTensor.FromInts(to, [x.Shape!.Length], x.Shape!.Select(d => (long)d).ToArray()));
            return;
        }
        int[]? shape = x.Rank is { } r ? [r] : [-1];
        if (to == ElemType.Int64) Emit(n, "Shape", [Use(x)], to, shape);
        else
        {
            var s = Helper(n, "Shape", "shape64", [Use(x)]);
            Emit(n, "Cast", [s], to, shape, OnnxAttr.Int("to", (long)to));
        }
    }

    // ---------------------------------------------------------------- element-wise

    private static readonly Dictionary<string, string> BinaryOps = new(StringComparer.Ordinal)
    {
        ["Add"] = "Add", ["AddV2"] = "Add", ["Sub"] = "Sub", ["Mul"] = "Mul", ["RealDiv"] = "Div", ["Div"] = "Div",
        ["Maximum"] = "Max", ["Minimum"] = "Min", ["Pow"] = "Pow",
        ["Equal"] = "Equal", ["Less"] = "Less", ["LessEqual"] = "LessOrEqual", ["Greater"] = "Greater",
        ["GreaterEqual"] = "GreaterOrEqual", ["LogicalAnd"] = "And", ["LogicalOr"] = "Or",
    };

    private static bool IsComparison(string onnx) => onnx is "Equal" or "Less" or "LessOrEqual" or "Greater" or "GreaterOrEqual" or "And" or "Or";

    private static ConstTensor FoldBinary(string onnx, ConstTensor a, ConstTensor b)
    {
        ElemType? rt = IsComparison(onnx) ? ElemType.Bool : null;
        return onnx switch
        {
            "Add" => ConstTensor.Binary(a, b, (x, y) => x + y, (x, y) => x + y),
            "Sub" => ConstTensor.Binary(a, b, (x, y) => x - y, (x, y) => x - y),
            "Mul" => ConstTensor.Binary(a, b, (x, y) => x * y, (x, y) => x * y),
            // Integer division truncates, as C (and ONNX Div) does; division by zero folds to 0 rather than throwing.
            "Div" => ConstTensor.Binary(a, b, (x, y) => x / y, (x, y) => y == 0 ? 0 : x / y),
            "Max" => ConstTensor.Binary(a, b, MathF.Max, Math.Max),
            "Min" => ConstTensor.Binary(a, b, MathF.Min, Math.Min),
            "Pow" => ConstTensor.Binary(a, b, MathF.Pow, (x, y) => (long)Math.Pow(x, y)),
            "Equal" => ConstTensor.Binary(a, b, (x, y) => x == y ? 1 : 0, (x, y) => x == y ? 1 : 0, rt),
            "Less" => ConstTensor.Binary(a, b, (x, y) => x < y ? 1 : 0, (x, y) => x < y ? 1 : 0, rt),
            "LessOrEqual" => ConstTensor.Binary(a, b, (x, y) => x <= y ? 1 : 0, (x, y) => x <= y ? 1 : 0, rt),
            "Greater" => ConstTensor.Binary(a, b, (x, y) => x > y ? 1 : 0, (x, y) => x > y ? 1 : 0, rt),
            "GreaterOrEqual" => ConstTensor.Binary(a, b, (x, y) => x >= y ? 1 : 0, (x, y) => x >= y ? 1 : 0, rt),
            "And" => ConstTensor.Binary(a, b, null, (x, y) => x != 0 && y != 0 ? 1 : 0, rt),
            "Or" => ConstTensor.Binary(a, b, null, (x, y) => x != 0 || y != 0 ? 1 : 0, rt),
            _ => throw new InvalidOperationException($"no folding for {onnx}"),
        };
    }

    private static ConstTensor Not(ConstTensor c) => ConstTensor.FromInts(ElemType.Bool, c.Shape, c.Ints!.Select(v => v != 0 ? 0L : 1L).ToArray());

    private void NotEqualOp(TfNode n)
    {
        var a = In(n, 0); var b = In(n, 1);
        if (a.Const is { } ca && b.Const is { } cb) { SetConst(n, Not(FoldBinary("Equal", ca, cb))); return; }
        var eq = Helper(n, "Equal", "equal", [Use(a), Use(b)]);
        Emit(n, "Not", [eq], ElemType.Bool, ShapeUtil.Broadcast(a.Shape, b.Shape));
    }

    /// <summary>
    /// A binary element-wise op. Folded when both inputs are constants; computed in NCHW when the output is rank 4
    /// and both operands have an NCHW form (so residual adds between convolutions need no Transposes).
    /// </summary>
    private void BinaryOp(TfNode n, string onnx) => Binary(n, onnx, In(n, 0), In(n, 1));

    private TfValue Binary(TfNode n, string onnx, TfValue a, TfValue b)
    {
        var type = IsComparison(onnx) ? ElemType.Bool : a.Type;
        if (a.Const is { } ca && b.Const is { } cb)
        {
            SetConst(n, FoldBinary(onnx, ca, cb));
            return _values[n.Name][0];
        }
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        if (shape is { Length: 4 } && (_nchw.ContainsKey(a.Name) || _nchw.ContainsKey(b.Name))
            && a.Rank is <= 4 && b.Rank is <= 4 && TryNchwOperand(a, out var na) && TryNchwOperand(b, out var nb))
        {
            var y = Helper(n, onnx, "nchw", [na, nb]);
            return FromNchw(n, y, type, shape);
        }
        return Emit(n, onnx, [Use(a), Use(b)], type, shape);
    }

    private static readonly Dictionary<string, (string Onnx, Func<float, float>? Fold)> UnaryOps = new(StringComparer.Ordinal)
    {
        ["Relu"] = ("Relu", x => MathF.Max(x, 0)),
        ["Elu"] = ("Elu", null),
        ["Selu"] = ("Selu", null),
        ["Sigmoid"] = ("Sigmoid", null),
        ["Tanh"] = ("Tanh", null),
        ["Exp"] = ("Exp", null),
        ["Log"] = ("Log", null),
        ["Sqrt"] = ("Sqrt", null),
        ["Neg"] = ("Neg", x => -x),
        ["Abs"] = ("Abs", MathF.Abs),
        ["Floor"] = ("Floor", MathF.Floor),
        ["Ceil"] = ("Ceil", MathF.Ceiling),
        ["Round"] = ("Round", x => MathF.Round(x, MidpointRounding.ToEven)),
        ["Sign"] = ("Sign", x => MathF.Sign(x)),
        ["Reciprocal"] = ("Reciprocal", null),
        ["Inv"] = ("Reciprocal", null),
        ["Sin"] = ("Sin", null),
        ["Cos"] = ("Cos", null),
        ["Softplus"] = ("Softplus", null),
        ["Erf"] = ("Erf", null),
        ["LogicalNot"] = ("Not", null),
    };

    /// <summary>A unary op; folded for constants when a managed equivalent is exact, kept in NCHW when the input has that form.</summary>
    private void Unary(TfNode n, string onnx, Func<float, float>? fold, params OnnxAttr[] attrs)
    {
        var x = In(n, 0);
        if (x.Const is { } c && fold is not null)
        {
            if (c.Floats is not null) SetConst(n, ConstTensor.FromFloats(c.Type, c.Shape, c.Floats.Select(fold).ToArray()));
            else SetConst(n, ConstTensor.FromInts(c.Type, c.Shape, c.Ints!.Select(v => ConstTensor.Wrap(c.Type, (long)fold(v))).ToArray()));
            return;
        }
        var type = onnx == "Not" ? ElemType.Bool : x.Type;
        bool layoutFree = onnx is not ("Softmax" or "LogSoftmax");
        if (layoutFree && x.Rank == 4 && _nchw.TryGetValue(x.Name, out var xn))
        {
            FromNchw(n, Helper(n, onnx, "nchw", [xn], attrs), type, x.Shape);
            return;
        }
        Emit(n, onnx, [Use(x)], type, x.Shape, attrs);
    }

    private void ClipOp(TfNode n, float lo, float hi)
    {
        var x = In(n, 0);
        var min = UseConst(n.Name + "/min", ConstTensor.FromFloats(x.Type, [], [lo]));
        var max = UseConst(n.Name + "/max", ConstTensor.FromFloats(x.Type, [], [hi]));
        if (x.Rank == 4 && _nchw.TryGetValue(x.Name, out var xn))
            FromNchw(n, Helper(n, "Clip", "nchw", [xn, min, max]), x.Type, x.Shape);
        else Emit(n, "Clip", [Use(x), min, max], x.Type, x.Shape);
    }

    private void RsqrtOp(TfNode n)
    {
        var x = In(n, 0);
        if (x.Const is { Floats: not null } c) { SetConst(n, ConstTensor.FromFloats(c.Type, c.Shape, c.Floats.Select(v => 1f / MathF.Sqrt(v)).ToArray())); return; }
        var s = Helper(n, "Sqrt", "sqrt", [Use(x)]);
        Emit(n, "Reciprocal", [s], x.Type, x.Shape);
    }

    private void SquareOp(TfNode n)
    {
        var x = In(n, 0);
        Binary(n, "Mul", x, x);
    }

    private void SquaredDifferenceOp(TfNode n)
    {
        var a = In(n, 0); var b = In(n, 1);
        if (a.Const is { } ca && b.Const is { } cb)
        {
            var d = FoldBinary("Sub", ca, cb);
            SetConst(n, FoldBinary("Mul", d, d));
            return;
        }
        var diff = Helper(n, "Sub", "diff", [Use(a), Use(b)]);
        Emit(n, "Mul", [diff, diff], a.Type, ShapeUtil.Broadcast(a.Shape, b.Shape));
    }

    /// <summary>TF FloorDiv: rounds towards −∞. ONNX Div truncates integers, so integers use (a − floormod(a, b)) / b, which is exact.</summary>
    private void FloorDivOp(TfNode n)
    {
        var a = In(n, 0); var b = In(n, 1);
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        if (a.Const is { } ca && b.Const is { } cb)
        {
            SetConst(n, ConstTensor.Binary(ca, cb, (x, y) => MathF.Floor(x / y), FloorDivInt));
            return;
        }
        if (a.Type.IsFloat())
        {
            var q = Helper(n, "Div", "div", [Use(a), Use(b)]);
            Emit(n, "Floor", [q], a.Type, shape);
            return;
        }
        var mod = Helper(n, "Mod", "mod", [Use(a), Use(b)], OnnxAttr.Int("fmod", 0));
        var exact = Helper(n, "Sub", "exact", [Use(a), mod]);
        Emit(n, "Div", [exact, Use(b)], a.Type, shape);
    }

    /// <summary>TF FloorMod: the result has the divisor's sign. ONNX Mod with fmod=0 does that for integers; floats use fmod plus a sign fix.</summary>
    private void FloorModOp(TfNode n)
    {
        var a = In(n, 0); var b = In(n, 1);
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        if (a.Const is { } ca && b.Const is { } cb)
        {
            SetConst(n, ConstTensor.Binary(ca, cb, FloorModFloat, FloorModInt));
            return;
        }
        if (!a.Type.IsFloat())
        {
            Emit(n, "Mod", [Use(a), Use(b)], a.Type, shape, OnnxAttr.Int("fmod", 0));
            return;
        }
        // r = fmod(a, b); where r ≠ 0 and sign(r) ≠ sign(b), r + b — TensorFlow's own definition, exact unlike a − floor(a/b)·b.
        var r = Helper(n, "Mod", "fmod", [Use(a), Use(b)], OnnxAttr.Int("fmod", 1));
        var zero = UseConst(n.Name + "/zero", ConstTensor.FromFloats(a.Type, [], [0f]));
        var rNeg = Helper(n, "Less", "r_neg", [r, zero]);
        var bNeg = Helper(n, "Less", "b_neg", [Use(b), zero]);
        var signDiffers = Helper(n, "Xor", "sign_differs", [rNeg, bNeg]);
        var rZero = Helper(n, "Equal", "r_zero", [r, zero]);
        var rNonZero = Helper(n, "Not", "r_nonzero", [rZero]);
        var fix = Helper(n, "And", "fix", [signDiffers, rNonZero]);
        var rPlusB = Helper(n, "Add", "r_plus_b", [r, Use(b)]);
        Emit(n, "Where", [fix, rPlusB, r], a.Type, shape);
    }

    internal static long FloorDivInt(long x, long y)
    {
        if (y == 0) return 0;
        long q = x / y;
        if ((x % y != 0) && ((x < 0) != (y < 0))) q--;
        return q;
    }

    internal static long FloorModInt(long x, long y)
    {
        if (y == 0) return 0;
        long r = x % y;
        if (r != 0 && ((r < 0) != (y < 0))) r += y;
        return r;
    }

    internal static float FloorModFloat(float x, float y)
    {
        float r = x % y; // C# % on floats is C's fmod
        if (r != 0 && ((r < 0) != (y < 0))) r += y;
        return r;
    }

    private void SelectOp(TfNode n)
    {
        var c = In(n, 0); var a = In(n, 1); var b = In(n, 2);
        if (n.Op == "Select" && c.Rank == 1 && a.Rank > 1)
            throw new PoseTrackException($"TFJS import: {n}: Select with a vector condition over rows is not supported.");
        Emit(n, "Where", [Use(c), Use(a), Use(b)], a.Type, ShapeUtil.Broadcast(ShapeUtil.Broadcast(c.Shape, a.Shape), b.Shape));
    }
}
