using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using PoseTrack.Core;
using PoseTrack.Inference;
using Xunit;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Inference;

public class OnnxGraphEditorTests(ITestOutputHelper output)
{
    // Field numbers of onnx.proto, for the tests that look at the bytes themselves.
    private const int ModelGraph = ModelProto.GraphFieldNumber;
    private const int GraphInput = GraphProto.InputFieldNumber;
    private const int GraphOutput = GraphProto.OutputFieldNumber;
    private const int GraphValueInfo = GraphProto.ValueInfoFieldNumber;

    private static string PoseModelPath => Path.Combine(TestData.ModelsDir, "ultralight_nano_simplepose_256x192.onnx");
    private const int C = 3, H = 256, W = 192, K = 17, HH = 64, HW = 48;

    // ---------- (a) the generated protobuf classes ----------

    public static TheoryData<string> ShippedModels
    {
        get
        {
            var files = new TheoryData<string>();
            foreach (var f in Directory.GetFiles(TestData.ModelsDir, "*.onnx").Order(StringComparer.Ordinal)) files.Add(Path.GetFileName(f));
            return files;
        }
    }

    [Theory]
    [MemberData(nameof(ShippedModels))]
    public void ShippedModel_ParsesAndWritesBackByteIdentical(string file)
    {
        // What lets the editor promise that everything it does not edit stays as it was.
        byte[] original = File.ReadAllBytes(Path.Combine(TestData.ModelsDir, file));
        var model = ModelProto.Parser.ParseFrom(original);
        Assert.True(model.Graph.Node.Count > 0);
        Assert.Equal(original, model.ToByteArray());
    }

    // ---------- (b) the real model ----------

    [Fact]
    public void RealModel_Info_IsAsShipped()
    {
        var info = OnnxModelInfo.Load(PoseModelPath);
        Assert.Equal(3, info.IrVersion);
        Assert.Contains(info.Opsets, o => o.Domain == "" && o.Version == 8);
        var input = Assert.Single(info.Inputs); // the 291 initializers listed as inputs are left out
        Assert.Equal("data", input.Name);
        Assert.Equal("1x3x256x192", input.ShapeText);
        Assert.Equal(1, input.ElementType);
        Assert.Equal("1x17x64x48", Assert.Single(info.Outputs).ShapeText);
        Assert.Equal(291, info.InitializerCount);
    }

    [Fact]
    public void RealModel_Rewrite_ChangesOnlyInputAndOutputShapes()
    {
        byte[] original = File.ReadAllBytes(PoseModelPath);
        byte[]? edited = OnnxGraphEditor.MakeBatchDynamic(original, out string? reason);
        Assert.Null(reason);
        Assert.NotNull(edited);

        var info = OnnxModelInfo.Read(edited);
        Assert.Equal("batchx3x256x192", Assert.Single(info.Inputs).ShapeText);
        Assert.Equal("batchx17x64x48", Assert.Single(info.Outputs).ShapeText);

        // In each of the two dims, dim_param "batch" (key + length + 5 bytes) replaces dim_value 1 (key + 1 byte): +5 each,
        // plus any growth of the enclosing length prefixes.
        Assert.InRange(edited.Length - original.Length, 10, 20);

        // Every top-level field but the graph, and every graph field but the rewritten input/output, is byte-identical.
        var a = TopFields(original);
        var b = TopFields(edited);
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Number, b[i].Number);
            if (a[i].Number != ModelGraph) Assert.Equal(a[i].Bytes, b[i].Bytes);
        }
        var ga = TopFields(Payload(original, ModelGraph));
        var gb = TopFields(Payload(edited, ModelGraph));
        Assert.Equal(ga.Count, gb.Count);
        int changed = 0;
        for (int i = 0; i < ga.Count; i++)
        {
            Assert.Equal(ga[i].Number, gb[i].Number);
            if (!ga[i].Bytes.AsSpan().SequenceEqual(gb[i].Bytes))
            {
                changed++;
                Assert.True(ga[i].Number is GraphInput or GraphOutput, $"graph field {ga[i].Number} changed");
            }
        }
        Assert.Equal(2, changed);

        // Already dynamic: a second pass changes nothing.
        byte[]? again = OnnxGraphEditor.MakeBatchDynamic(edited, out reason);
        Assert.Null(reason);
        Assert.Equal(edited, again);
    }

    [Fact]
    public void RealModel_BatchOf4_MatchesFourSingleRuns()
    {
        byte[] edited = OnnxGraphEditor.MakeBatchDynamic(File.ReadAllBytes(PoseModelPath), out _)!;
        using var opts = NewOptions();
        using var single = new InferenceSession(PoseModelPath, opts);
        using var batched = new InferenceSession(edited, opts);

        const int n = 4;
        int per = C * H * W;
        var rng = new Random(1234);
        var all = new float[n * per];
        for (int i = 0; i < all.Length; i++) all[i] = (float)(rng.NextDouble() * 4 - 2);

        float[] batchOut = Run(batched, all, n);
        Assert.Equal(n * K * HH * HW, batchOut.Length);
        float maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < n; i++)
        {
            float[] one = Run(single, all.AsSpan(i * per, per).ToArray(), 1);
            var fromBatch = batchOut.AsSpan(i * one.Length, one.Length);
            for (int j = 0; j < one.Length; j++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs(one[j] - fromBatch[j]));
                maxAbs = Math.Max(maxAbs, Math.Abs(one[j]));
            }
        }
        output.WriteLine($"batch 4 vs 4 x batch 1: max |diff| = {maxDiff:E2} (max |value| {maxAbs:F3})");
        Assert.True(maxAbs > 1e-3, "outputs are all ~0; the comparison would prove nothing");
        Assert.True(maxDiff < 1e-4, $"max abs diff {maxDiff}");

        // Items differ from one another, so a mix-up of the batch order would have been caught.
        Assert.False(batchOut.AsSpan(0, K * HH * HW).SequenceEqual(batchOut.AsSpan(K * HH * HW, K * HH * HW)));
    }

    // ---------- (c) session metadata ----------

    [Fact]
    public void RealModel_SessionMetadata_HasDynamicBatch()
    {
        byte[] edited = OnnxGraphEditor.MakeBatchDynamic(File.ReadAllBytes(PoseModelPath), out _)!;
        using var opts = NewOptions();
        using var session = new InferenceSession(edited, opts);
        var input = session.InputMetadata["data"];
        Assert.Equal(new[] { -1, C, H, W }, input.Dimensions);
        Assert.Equal(OnnxGraphEditor.BatchParam, input.SymbolicDimensions[0]);
        var outMeta = Assert.Single(session.OutputMetadata).Value;
        Assert.Equal(new[] { -1, K, HH, HW }, outMeta.Dimensions);

        using var original = new InferenceSession(PoseModelPath, opts);
        Assert.Equal(new[] { 1, C, H, W }, original.InputMetadata["data"].Dimensions);
    }

    // ---------- (d) not ONNX ----------

    public static TheoryData<byte[]> NotOnnxData => new()
    {
        Array.Empty<byte>(),
        "this is a text file, not a model\n"u8.ToArray(),
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D }, // PNG signature
        new byte[] { 0x08, 0x03 },                                                  // ir_version only, no graph
    };

    [Theory]
    [MemberData(nameof(NotOnnxData))]
    public void NotOnnx_ThrowsPoseTrackException(byte[] data)
    {
        var e = Assert.Throws<PoseTrackException>(() => OnnxGraphEditor.MakeBatchDynamic(data, out _));
        Assert.StartsWith("Not an ONNX model", e.Message);
        Assert.Throws<PoseTrackException>(() => OnnxModelInfo.Read(data));
    }

    [Fact]
    public void TruncatedModel_ThrowsPoseTrackException()
    {
        byte[] model = File.ReadAllBytes(PoseModelPath);
        var e = Assert.Throws<PoseTrackException>(() => OnnxGraphEditor.MakeBatchDynamic(model.AsSpan(0, model.Length / 2), out _));
        Assert.Contains("malformed protobuf", e.Message);
    }

    [Fact]
    public void MissingFile_ThrowsPoseTrackException()
    {
        var e = Assert.Throws<PoseTrackException>(() => OnnxGraphEditor.MakeBatchDynamic(Path.Combine(TestData.TempDir(), "none.onnx"), out _));
        Assert.Contains("none.onnx", e.Message);
    }

    // ---------- synthetic graphs: value_info, refusals ----------

    [Fact]
    public void Synthetic_ValueInfoWithLeadingOneIsDropped_AndRunsAtBatch3()
    {
        byte[] model = TinyModel(extraNodes: [], valueInfo: [ValueInfo("mid", 1, 4)], middleOp: "Relu");
        byte[] edited = OnnxGraphEditor.MakeBatchDynamic(model, out string? reason)!;
        Assert.Null(reason);
        var graph = TopFields(Payload(edited, ModelGraph));
        Assert.DoesNotContain(graph, f => f.Number == GraphValueInfo);

        using var opts = NewOptions();
        using var session = new InferenceSession(edited, opts);
        float[] x = [-1, 2, -3, 4, 5, -6, 7, -8, 9, 10, -11, 12];
        using var input = OrtValue.CreateTensorValueFromMemory(x, [3, 4]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["x"], [input], ["y"]);
        Assert.Equal(new long[] { 3, 4 }, results[0].GetTensorTypeAndShape().Shape);
        Assert.Equal(x.Select(v => Math.Max(v, 0f)), results[0].GetTensorDataAsSpan<float>().ToArray());
    }

    [Theory]
    [InlineData(1L, false)]
    [InlineData(0L, true)]
    [InlineData(-1L, true)]
    public void Synthetic_ReshapeToConstantShape(long first, bool expectDynamic)
    {
        // shape from an initializer
        byte[] viaInit = TinyModel(extraNodes: [], valueInfo: [], middleOp: "Reshape", shapeInit: [first, 4]);
        // shape from a Constant node
        byte[] viaConst = TinyModel(extraNodes: [ConstantNode("shp", [first, 4])], valueInfo: [], middleOp: "Reshape");
        foreach (var model in new[] { viaInit, viaConst })
        {
            byte[]? edited = OnnxGraphEditor.MakeBatchDynamic(model, out string? reason);
            if (expectDynamic)
            {
                Assert.NotNull(edited);
                Assert.Null(reason);
            }
            else
            {
                Assert.Null(edited);
                Assert.Contains("Reshape", reason);
                Assert.Contains("[1,4]", reason);
            }
        }
    }

    [Fact]
    public void Synthetic_FlattenAxis0_IsRefused()
    {
        byte[] model = TinyModel(extraNodes: [], valueInfo: [], middleOp: "Flatten", flattenAxis: 0);
        Assert.Null(OnnxGraphEditor.MakeBatchDynamic(model, out string? reason));
        Assert.Contains("Flatten", reason);
        model = TinyModel(extraNodes: [], valueInfo: [], middleOp: "Flatten", flattenAxis: 1);
        Assert.NotNull(OnnxGraphEditor.MakeBatchDynamic(model, out reason));
    }

    [Fact]
    public void Synthetic_FixedBatchOtherThanOne_IsRefused()
    {
        byte[] model = TinyModel(extraNodes: [], valueInfo: [], middleOp: "Relu", batch: 2);
        Assert.Null(OnnxGraphEditor.MakeBatchDynamic(model, out string? reason));
        Assert.Contains("'x'", reason);
        Assert.Contains("2x4", reason);
    }

    // ---------- helpers ----------

    private static SessionOptions NewOptions() => new() { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };

    private static float[] Run(InferenceSession session, float[] input, int batch)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, [batch, C, H, W]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["data"], [value], [session.OutputNames[0]]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private readonly record struct RawField(int Number, byte[] Bytes);

    /// <summary>The top-level fields of a message as they lie in its bytes, in order.</summary>
    private static List<RawField> TopFields(byte[] message)
    {
        var list = new List<RawField>();
        var input = new CodedInputStream(message);
        int start = 0;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            input.SkipLastField();
            int end = (int)input.Position;
            list.Add(new RawField(WireFormat.GetTagFieldNumber(tag), message[start..end]));
            start = end;
        }
        return list;
    }

    private static byte[] Payload(byte[] message, int field)
    {
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field) return input.ReadBytes().ToByteArray();
            input.SkipLastField();
        }
        throw new InvalidOperationException($"field {field} missing");
    }

    /// <summary>ValueInfoProto of a float tensor with fixed dims.</summary>
    private static ValueInfoProto ValueInfo(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } },
        };
    }

    private static TensorProto Int64Tensor(string name, long[] values)
    {
        var t = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Name = name };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        return t;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { Name = op.ToLowerInvariant() + "_" + outputs[0], OpType = op };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        return n;
    }

    private static NodeProto ConstantNode(string output, long[] values) =>
        Node("Constant", [], [output],
            new AttributeProto { Name = "value", T = Int64Tensor("", values), Type = AttributeProto.Types.AttributeType.Tensor });

    /// <summary>x [batch,4] → Relu → mid → (middleOp) → y [batch,4], opset 13.</summary>
    internal static byte[] TinyModel(NodeProto[] extraNodes, ValueInfoProto[] valueInfo, string middleOp,
        long[]? shapeInit = null, long flattenAxis = 1, long batch = 1)
    {
        var g = new GraphProto { Name = "tiny" };
        g.Node.AddRange(extraNodes);
        g.Node.Add(Node("Relu", ["x"], ["mid"]));
        switch (middleOp)
        {
            case "Relu":
                g.Node.Add(Node("Relu", ["mid"], ["y"]));
                break;
            case "Reshape":
                g.Node.Add(Node("Reshape", ["mid", "shp"], ["y"]));
                break;
            case "Flatten":
                var axis = new AttributeProto { Name = "axis", I = flattenAxis, Type = AttributeProto.Types.AttributeType.Int };
                g.Node.Add(Node("Flatten", ["mid"], ["y"], axis));
                break;
        }
        if (shapeInit is not null) g.Initializer.Add(Int64Tensor("shp", shapeInit));
        g.Input.Add(ValueInfo("x", batch, 4));
        g.Output.Add(ValueInfo("y", batch, 4));
        g.ValueInfo.AddRange(valueInfo);

        var m = new ModelProto { IrVersion = 7, ProducerName = "posetrack-tests", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return m.ToByteArray();
    }
}
