using System.Text;
using System.Text.Json.Nodes;

namespace PoseTrack.Tests.ModelImport;

/// <summary>Writes a tiny TFJS graph model (model.json + one weight shard) for importer tests.</summary>
internal sealed class TfjsTestGraph
{
    private readonly JsonArray _nodes = [];
    private readonly JsonArray _weights = [];
    private readonly MemoryStream _shard = new();
    private readonly List<string> _outputs = [];

    public static JsonNode I(long v) => new JsonObject { ["i"] = v.ToString(System.Globalization.CultureInfo.InvariantCulture) };
    public static JsonNode F(float v) => new JsonObject { ["f"] = v };
    public static JsonNode B(bool v) => new JsonObject { ["b"] = v };
    public static JsonNode S(string v) => new JsonObject { ["s"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(v)) };
    public static JsonNode Type(string t) => new JsonObject { ["type"] = t };
    public static JsonNode Ints(params long[] v) => new JsonObject { ["list"] = new JsonObject { ["i"] = new JsonArray(v.Select(x => (JsonNode)x.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()) } };
    public static JsonNode Strs(params string[] v) => new JsonObject { ["list"] = new JsonObject { ["s"] = new JsonArray(v.Select(x => (JsonNode)Convert.ToBase64String(Encoding.UTF8.GetBytes(x))).ToArray()) } };
    public static JsonNode Shape(params int[] dims) => new JsonObject { ["shape"] = new JsonObject { ["dim"] = new JsonArray(dims.Select(d => (JsonNode)new JsonObject { ["size"] = d.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ToArray()) } };

    public string Input(string name, string tfType, params int[] shape)
    {
        _nodes.Add(new JsonObject { ["name"] = name, ["op"] = "Placeholder", ["attr"] = new JsonObject { ["dtype"] = Type(tfType), ["shape"] = Shape(shape) } });
        return name;
    }

    public string Const(string name, float[] values, params int[] shape)
    {
        foreach (var v in values) _shard.Write(BitConverter.GetBytes(v));
        return AddConst(name, "float32", shape, null);
    }

    public string ConstInt(string name, int[] values, params int[] shape)
    {
        foreach (var v in values) _shard.Write(BitConverter.GetBytes(v));
        return AddConst(name, "int32", shape, null);
    }

    /// <summary>A float32 weight stored float16-quantised, as TFJS converters write them.</summary>
    public string ConstHalf(string name, float[] values, params int[] shape)
    {
        foreach (var v in values) _shard.Write(BitConverter.GetBytes(BitConverter.HalfToUInt16Bits((Half)v)));
        return AddConst(name, "float32", shape, new JsonObject { ["dtype"] = "float16" });
    }

    private string AddConst(string name, string dtype, int[] shape, JsonObject? quant)
    {
        _nodes.Add(new JsonObject { ["name"] = name, ["op"] = "Const", ["attr"] = new JsonObject { ["dtype"] = Type(dtype == "int32" ? "DT_INT32" : "DT_FLOAT") } });
        var w = new JsonObject { ["name"] = name, ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()), ["dtype"] = dtype };
        if (quant is not null) w["quantization"] = quant;
        _weights.Add(w);
        return name;
    }

    public string Op(string name, string op, string[] inputs, params (string Key, JsonNode Value)[] attrs)
    {
        var a = new JsonObject();
        foreach (var (k, v) in attrs) a[k] = v;
        _nodes.Add(new JsonObject { ["name"] = name, ["op"] = op, ["input"] = new JsonArray(inputs.Select(i => (JsonNode)i).ToArray()), ["attr"] = a });
        return name;
    }

    public void Output(params string[] names) => _outputs.AddRange(names);

    /// <summary>Writes model.json and model.bin into <paramref name="dir"/>; returns the model.json path.</summary>
    public string Write(string dir)
    {
        var model = new JsonObject
        {
            ["format"] = "graph-model",
            ["generatedBy"] = "PoseTrack tests",
            ["modelTopology"] = new JsonObject { ["node"] = _nodes.DeepClone() },
            ["weightsManifest"] = new JsonArray(new JsonObject { ["paths"] = new JsonArray("model.bin"), ["weights"] = _weights.DeepClone() }),
        };
        if (_outputs.Count > 0)
            model["signature"] = new JsonObject
            {
                ["outputs"] = new JsonObject(_outputs.Select(o => KeyValuePair.Create(o + ":0", (JsonNode?)new JsonObject { ["name"] = o + ":0" }))),
            };
        var path = Path.Combine(dir, "model.json");
        File.WriteAllText(path, model.ToJsonString());
        File.WriteAllBytes(Path.Combine(dir, "model.bin"), _shard.ToArray());
        return path;
    }
}
