using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PoseTrack.Core;

namespace PoseTrack.ModelImport;

/// <summary>One node of a TFJS graph model's <c>modelTopology.node</c> list, with its attributes kept as JSON.</summary>
internal sealed class TfNode
{
    /// <summary>Node name (also the name of its first output).</summary>
    public required string Name { get; init; }
    /// <summary>TensorFlow op type ("_FusedConv2D", "AddV2", ...).</summary>
    public required string Op { get; init; }
    /// <summary>Data inputs as written in the graph ("node" or "node:k"); control inputs ("^node") are left out.</summary>
    public required string[] Inputs { get; init; }
    /// <summary>Attributes by name (TensorFlow AttrValue in JSON form: i, f, b, s, type, shape, list).</summary>
    public required Dictionary<string, JsonElement> Attrs { get; init; }

    /// <summary>"op 'name'" for error messages.</summary>
    public override string ToString() => $"{Op} node '{Name}'";

    /// <summary>True when the attribute is present.</summary>
    public bool Has(string attr) => Attrs.ContainsKey(attr);

    /// <summary>An integer attribute (int64 values are JSON strings in TFJS files).</summary>
    public long Int(string attr, long fallback)
    {
        if (!Attrs.TryGetValue(attr, out var a) || !a.TryGetProperty("i", out var i)) return fallback;
        return ReadLong(i);
    }

    /// <summary>A float attribute.</summary>
    public float Float(string attr, float fallback)
    {
        if (!Attrs.TryGetValue(attr, out var a) || !a.TryGetProperty("f", out var f)) return fallback;
        return f.ValueKind == JsonValueKind.String ? float.Parse(f.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : f.GetSingle();
    }

    /// <summary>A boolean attribute.</summary>
    public bool Bool(string attr, bool fallback)
    {
        if (!Attrs.TryGetValue(attr, out var a) || !a.TryGetProperty("b", out var b)) return fallback;
        return b.GetBoolean();
    }

    /// <summary>A string attribute (stored base64-encoded in TFJS files).</summary>
    public string? String(string attr)
    {
        if (!Attrs.TryGetValue(attr, out var a) || !a.TryGetProperty("s", out var s)) return null;
        return Encoding.UTF8.GetString(Convert.FromBase64String(s.GetString() ?? ""));
    }

    /// <summary>A data-type attribute ("DT_FLOAT", ...).</summary>
    public string? Type(string attr)
    {
        if (!Attrs.TryGetValue(attr, out var a) || !a.TryGetProperty("type", out var t)) return null;
        return t.GetString();
    }

    /// <summary>A list-of-ints attribute; null when absent. An empty list is written as <c>{"list": {}}</c>.</summary>
    public long[]? Ints(string attr)
    {
        if (!Attrs.TryGetValue(attr, out var a) || !a.TryGetProperty("list", out var l)) return null;
        if (!l.TryGetProperty("i", out var i)) return [];
        return i.EnumerateArray().Select(ReadLong).ToArray();
    }

    /// <summary>A list-of-strings attribute (base64 in the file); null when absent.</summary>
    public string[]? Strings(string attr)
    {
        if (!Attrs.TryGetValue(attr, out var a) || !a.TryGetProperty("list", out var l)) return null;
        if (!l.TryGetProperty("s", out var s)) return [];
        return s.EnumerateArray().Select(e => Encoding.UTF8.GetString(Convert.FromBase64String(e.GetString() ?? ""))).ToArray();
    }

    /// <summary>A shape attribute as dims (-1 = unknown); null when absent or of unknown rank.</summary>
    public int[]? Shape(string attr)
    {
        if (!Attrs.TryGetValue(attr, out var a) || !a.TryGetProperty("shape", out var s)) return null;
        if (s.TryGetProperty("unknownRank", out var u) && u.ValueKind == JsonValueKind.True) return null;
        if (!s.TryGetProperty("dim", out var dims)) return [];
        return dims.EnumerateArray().Select(d => d.TryGetProperty("size", out var size) ? (int)ReadLong(size) : -1).ToArray();
    }

    private static long ReadLong(JsonElement e) =>
        e.ValueKind == JsonValueKind.String ? long.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : e.GetInt64();
}

/// <summary>
/// A TensorFlow.js graph model as stored on disk: <c>model.json</c> (topology, weights manifest, optional signature)
/// and the weight shards it names. Weights are read and dequantised to float32 / int values on load.
/// </summary>
internal sealed class TfjsGraphModel
{
    /// <summary>Nodes in file order.</summary>
    public required IReadOnlyList<TfNode> Nodes { get; init; }
    /// <summary>Weights by name (the names of the Const nodes that hold them).</summary>
    public required Dictionary<string, ConstTensor> Weights { get; init; }
    /// <summary>Signature output tensor names ("Identity:0"), in order; empty when the file has no signature.</summary>
    public required IReadOnlyList<string> SignatureOutputs { get; init; }
    /// <summary>sha256 (lower-case hex) of model.json followed by each shard, for provenance notes.</summary>
    public required string SourceSha256 { get; init; }
    /// <summary>The "generatedBy" field of model.json (where the original model came from), or "".</summary>
    public string GeneratedBy { get; init; } = "";

    /// <summary>Reads <paramref name="modelJsonPath"/> and its weight shards; user-facing failures become <see cref="PoseTrackException"/>.</summary>
    public static TfjsGraphModel Load(string modelJsonPath)
    {
        byte[] json;
        try
        {
            json = File.ReadAllBytes(modelJsonPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new PoseTrackException($"Cannot read TFJS model '{modelJsonPath}': {e.Message}", inner: e);
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new PoseTrackException($"'{modelJsonPath}' is not JSON: {e.Message}", inner: e);
        }
        using (doc)
        {
            try
            {
                return Parse(doc.RootElement, json, modelJsonPath);
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
            {
                // A missing or mistyped field of model.json (GetProperty / GetString throw these).
                throw new PoseTrackException($"'{modelJsonPath}' is not a valid TFJS graph model: {e.Message}", inner: e);
            }
        }
    }

    private static TfjsGraphModel Parse(JsonElement root, byte[] json, string modelJsonPath)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("modelTopology", out var topo))
            throw new PoseTrackException($"'{modelJsonPath}' is not a TFJS model: no modelTopology.");
        if (root.TryGetProperty("format", out var fmt) && fmt.GetString() is { } f && f != "graph-model")
            throw new PoseTrackException($"'{modelJsonPath}' is a TFJS '{f}', not a graph model; only graph models can be imported.");
        if (!topo.TryGetProperty("node", out var nodesEl) || nodesEl.ValueKind != JsonValueKind.Array)
            throw new PoseTrackException($"'{modelJsonPath}' is not a TFJS graph model: modelTopology has no node list.");
        if (topo.TryGetProperty("library", out var lib) && lib.TryGetProperty("function", out var fns) && fns.GetArrayLength() > 0)
            throw new PoseTrackException($"'{modelJsonPath}' uses TensorFlow functions (control flow); they are not supported.");

        var nodes = new List<TfNode>();
        foreach (var n in nodesEl.EnumerateArray())
        {
            var attrs = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            if (n.TryGetProperty("attr", out var at))
                foreach (var p in at.EnumerateObject()) attrs[p.Name] = p.Value.Clone();
            var inputs = n.TryGetProperty("input", out var ins)
                ? ins.EnumerateArray().Select(i => i.GetString()!).Where(i => !i.StartsWith('^')).ToArray()
                : [];
            nodes.Add(new TfNode
            {
                Name = n.GetProperty("name").GetString()!,
                Op = n.GetProperty("op").GetString()!,
                Inputs = inputs,
                Attrs = attrs,
            });
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(json);
        var weights = root.TryGetProperty("weightsManifest", out var wm)
            ? ReadWeights(wm, Path.GetDirectoryName(Path.GetFullPath(modelJsonPath))!, modelJsonPath, sha)
            : new Dictionary<string, ConstTensor>(StringComparer.Ordinal);

        var sigOut = new List<string>();
        if (root.TryGetProperty("signature", out var sig))
        {
            if (sig.TryGetProperty("outputs", out var so)) sigOut.AddRange(so.EnumerateObject().Select(p => p.Value.TryGetProperty("name", out var nm) ? nm.GetString()! : p.Name));
        }
        return new TfjsGraphModel
        {
            Nodes = nodes,
            Weights = weights,
            SignatureOutputs = sigOut,
            SourceSha256 = Convert.ToHexStringLower(sha.GetHashAndReset()),
            GeneratedBy = root.TryGetProperty("generatedBy", out var gb) && gb.ValueKind == JsonValueKind.String ? gb.GetString()! : "",
        };
    }

    /// <summary>
    /// Reads every weight group: a group's shards are concatenated in order and its weights lie back to back in them.
    /// Quantised weights are expanded here (uint8/uint16: q·scale + min; float16: exact widening), so the rest of the
    /// importer only sees float32 and integer tensors.
    /// </summary>
    private static Dictionary<string, ConstTensor> ReadWeights(JsonElement manifest, string dir, string modelJsonPath, IncrementalHash sha)
    {
        var result = new Dictionary<string, ConstTensor>(StringComparer.Ordinal);
        foreach (var group in manifest.EnumerateArray())
        {
            using var buffer = new MemoryStream();
            foreach (var p in group.GetProperty("paths").EnumerateArray())
            {
                var path = Path.Combine(dir, p.GetString()!);
                byte[] shard;
                try
                {
                    shard = File.ReadAllBytes(path);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    throw new PoseTrackException($"Cannot read weight shard '{path}' of TFJS model '{modelJsonPath}': {e.Message}", inner: e);
                }
                sha.AppendData(shard);
                buffer.Write(shard);
            }
            var data = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
            int offset = 0;
            foreach (var w in group.GetProperty("weights").EnumerateArray())
            {
                var name = w.GetProperty("name").GetString()!;
                var dtype = w.GetProperty("dtype").GetString()!;
                var shape = w.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
                long count = 1;
                foreach (var d in shape) count *= d;
                string? qType = null;
                double scale = 1, min = 0;
                if (w.TryGetProperty("quantization", out var q))
                {
                    qType = q.GetProperty("dtype").GetString();
                    if (q.TryGetProperty("scale", out var s)) scale = s.GetDouble();
                    if (q.TryGetProperty("min", out var m)) min = m.GetDouble();
                }
                int elemBytes = (qType ?? dtype) switch
                {
                    "float32" or "int32" => 4,
                    "float16" or "uint16" => 2,
                    "uint8" or "bool" => 1,
                    _ => throw new PoseTrackException($"Weight '{name}' of '{modelJsonPath}' has unsupported dtype '{qType ?? dtype}'."),
                };
                long bytes = count * elemBytes;
                if (offset + bytes > data.Length)
                    throw new PoseTrackException($"Weight '{name}' of '{modelJsonPath}' runs past the end of its shards ({data.Length} bytes).");
                var raw = data.Slice(offset, (int)bytes);
                offset += (int)bytes;
                result[name] = Decode(name, dtype, qType, scale, min, shape, (int)count, raw, modelJsonPath);
            }
        }
        return result;
    }

    // Math.round in JavaScript rounds halves up (towards +∞); TFJS uses it for quantised int32 weights.
    private static long JsRound(double v) => (long)Math.Floor(v + 0.5);

    private static ConstTensor Decode(string name, string dtype, string? qType, double scale, double min, int[] shape, int count,
        ReadOnlySpan<byte> raw, string modelJsonPath)
    {
        switch (dtype)
        {
            case "float32":
            {
                var f = new float[count];
                bool fromHalf = false;
                switch (qType)
                {
                    case null:
                        for (int i = 0; i < count; i++) f[i] = BitConverter.Int32BitsToSingle(System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]));
                        break;
                    case "float16":
                        for (int i = 0; i < count; i++) f[i] = (float)BitConverter.UInt16BitsToHalf(System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]));
                        fromHalf = true;
                        break;
                    case "uint8":
                        // The affine dequantisation is done in double and rounded once to float, as TFJS does.
                        for (int i = 0; i < count; i++) f[i] = (float)(raw[i] * scale + min);
                        break;
                    case "uint16":
                        for (int i = 0; i < count; i++) f[i] = (float)(System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]) * scale + min);
                        break;
                    default:
                        throw new PoseTrackException($"Weight '{name}' of '{modelJsonPath}' has unsupported quantisation '{qType}'.");
                }
                return ConstTensor.FromFloats(shape, f, fromHalf);
            }
            case "int32":
            {
                var v = new long[count];
                switch (qType)
                {
                    case null:
                        for (int i = 0; i < count; i++) v[i] = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]);
                        break;
                    case "uint8":
                        for (int i = 0; i < count; i++) v[i] = JsRound(raw[i] * scale + min);
                        break;
                    case "uint16":
                        for (int i = 0; i < count; i++) v[i] = JsRound(System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]) * scale + min);
                        break;
                    default:
                        throw new PoseTrackException($"Weight '{name}' of '{modelJsonPath}' (int32) has unsupported quantisation '{qType}'.");
                }
                return ConstTensor.FromInts(ElemType.Int32, shape, v);
            }
            case "bool":
            {
                var v = new long[count];
                for (int i = 0; i < count; i++) v[i] = raw[i] != 0 ? 1 : 0;
                return ConstTensor.FromInts(ElemType.Bool, shape, v);
            }
            default:
                throw new PoseTrackException($"Weight '{name}' of '{modelJsonPath}' has unsupported dtype '{dtype}'.");
        }
    }
}
