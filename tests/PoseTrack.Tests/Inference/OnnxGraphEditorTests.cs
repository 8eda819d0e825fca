using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using PoseTrack.Core;
using PoseTrack.Inference;
using Xunit;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Inference;

public class OnnxGraphEditorTests(ITestOutputHelper output)
{
    private static string PoseModelPath => Path.Combine(TestData.ModelsDir, "ultralight_nano_simplepose_256x192.onnx");
    private const int C = 3, H = 256, W = 192, K = 17, HH = 64, HW = 48;

    // ---------- (a) wire format ----------

    [Theory]
    [InlineData(0UL, 1)]
    [InlineData(1UL, 1)]
    [InlineData(127UL, 1)]
    [InlineData(128UL, 2)]
    [InlineData(300UL, 2)]
    [InlineData(16_383UL, 2)]
    [InlineData(16_384UL, 3)]
    [InlineData(0xFFFF_FFFFUL, 5)]
    [InlineData(long.MaxValue, 9)]
    [InlineData(ulong.MaxValue, 10)]
    public void Varint_RoundTrips_WithExpectedSize(ulong value, int size)
    {
        Assert.Equal(size, ProtoWriter.VarintSize(value));
        var w = new ProtoWriter();
        w.WriteVarint(value);
        Assert.Equal(size, w.Length);
        var r = new ProtoReader(w.WrittenSpan);
        Assert.Equal(value, r.ReadVarint());
        Assert.True(r.AtEnd);
    }

    [Fact]
    public void Varint_KnownEncoding()
    {
        var w = new ProtoWriter();
        w.WriteVarint(300);
        Assert.Equal(new byte[] { 0xAC, 0x02 }, w.ToArray());
        w = new ProtoWriter();
        w.WriteInt64Field(1, -1); // negative int64: ten bytes after the key
        Assert.Equal(11, w.Length);
    }

    [Fact]
    public void Fields_RoundTrip_AllWireTypes()
    {
        var inner = new ProtoWriter();
        inner.WriteStringField(2, "batch");
        var w = new ProtoWriter(4);
        w.WriteVarintField(1, 42);
        w.WriteInt64Field(2, -7);
        w.WriteFixed32Field(3, 0xDEADBEEF);
        w.WriteFixed64Field(4, 0x0123_4567_89AB_CDEF);
        w.WriteStringField(5, "héllo");
        w.WriteBytesField(100_000, inner.WrittenSpan);
        byte[] buf = w.ToArray();

        var r = new ProtoReader(buf);
        Assert.True(r.TryReadField(out var f));
        Assert.Equal((1, WireType.Varint, 42UL), (f.Number, f.WireType, f.Varint));
        Assert.True(r.TryReadField(out f));
        Assert.Equal((2, -7L), (f.Number, f.Int64));
        Assert.True(r.TryReadField(out f));
        Assert.Equal((3, WireType.Fixed32), (f.Number, f.WireType));
        Assert.Equal(0xDEADBEEFu, BitConverter.ToUInt32(f.Payload));
        Assert.True(r.TryReadField(out f));
        Assert.Equal((4, WireType.Fixed64), (f.Number, f.WireType));
        Assert.Equal(0x0123_4567_89AB_CDEFUL, BitConverter.ToUInt64(f.Payload));
        Assert.True(r.TryReadField(out f));
        Assert.Equal((5, "héllo"), (f.Number, f.String));
        Assert.True(r.TryReadField(out f));
        Assert.Equal((100_000, WireType.LengthDelimited), (f.Number, f.WireType));
        Assert.Equal(f.End - f.Payload.Length, f.PayloadStart);
        Assert.Equal(buf.Length, f.End);
        var nested = new ProtoReader(f.Payload);
        Assert.True(nested.TryReadField(out var g));
        Assert.Equal((2, "batch"), (g.Number, g.String));
        Assert.False(r.TryReadField(out _));
    }

    [Theory]
    [InlineData(new byte[] { 0x80 })]                         // truncated varint
    [InlineData(new byte[] { 0x08 })]                         // key without value
    [InlineData(new byte[] { 0x0A, 0x05, 0x01 })]             // length past the end
    [InlineData(new byte[] { 0x0D, 0x01, 0x02 })]             // truncated fixed32
    [InlineData(new byte[] { 0x0B })]                         // group wire type
    [InlineData(new byte[] { 0x00, 0x01 })]                   // field number 0
    [InlineData(new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02 })] // > 64 bits
    public void Reader_RejectsMalformed(byte[] data)
    {
        Assert.Throws<InvalidDataException>(() =>
        {
            var r = new ProtoReader(data);
            while (r.TryReadField(out _)) { }
        });
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
            if (a[i].Number != OnnxFields.ModelGraph) Assert.Equal(a[i].Bytes, b[i].Bytes);
        }
        var ga = TopFields(Payload(original, OnnxFields.ModelGraph));
        var gb = TopFields(Payload(edited, OnnxFields.ModelGraph));
        Assert.Equal(ga.Count, gb.Count);
        int changed = 0;
        for (int i = 0; i < ga.Count; i++)
        {
            Assert.Equal(ga[i].Number, gb[i].Number);
            if (!ga[i].Bytes.AsSpan().SequenceEqual(gb[i].Bytes))
            {
                changed++;
                Assert.True(ga[i].Number is OnnxFields.GraphInput or OnnxFields.GraphOutput, $"graph field {ga[i].Number} changed");
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
        Assert.Equal(2, e.ExitCode);
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
        var graph = TopFields(Payload(edited, OnnxFields.ModelGraph));
        Assert.DoesNotContain(graph, f => f.Number == OnnxFields.GraphValueInfo);

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

    private static List<RawField> TopFields(ReadOnlySpan<byte> message)
    {
        var list = new List<RawField>();
        var r = new ProtoReader(message);
        while (r.TryReadField(out var f)) list.Add(new RawField(f.Number, message[f.Start..f.End].ToArray()));
        return list;
    }

    private static byte[] Payload(ReadOnlySpan<byte> message, int field)
    {
        var r = new ProtoReader(message);
        while (r.TryReadField(out var f))
            if (f.Number == field) return f.Payload.ToArray();
        throw new InvalidOperationException($"field {field} missing");
    }

    /// <summary>ValueInfoProto of a float tensor with fixed dims.</summary>
    private static byte[] ValueInfo(string name, params long[] dims)
    {
        var shape = new ProtoWriter();
        foreach (long d in dims)
        {
            var dim = new ProtoWriter();
            dim.WriteInt64Field(OnnxFields.DimValue, d);
            shape.WriteBytesField(OnnxFields.ShapeDim, dim.WrittenSpan);
        }
        var tensor = new ProtoWriter();
        tensor.WriteVarintField(OnnxFields.TensorTypeElemType, 1);
        tensor.WriteBytesField(OnnxFields.TensorTypeShape, shape.WrittenSpan);
        var type = new ProtoWriter();
        type.WriteBytesField(OnnxFields.TypeTensorType, tensor.WrittenSpan);
        var vi = new ProtoWriter();
        vi.WriteStringField(OnnxFields.ValueInfoName, name);
        vi.WriteBytesField(OnnxFields.ValueInfoType, type.WrittenSpan);
        return vi.ToArray();
    }

    private static byte[] Int64Tensor(string name, long[] values)
    {
        var t = new ProtoWriter();
        t.WriteInt64Field(1, values.Length); // dims
        t.WriteVarintField(OnnxFields.TensorDataType, OnnxFields.TensorDataTypeInt64);
        var packed = new ProtoWriter();
        foreach (long v in values) packed.WriteVarint(unchecked((ulong)v));
        t.WriteBytesField(OnnxFields.TensorInt64Data, packed.WrittenSpan);
        t.WriteStringField(OnnxFields.TensorName, name);
        return t.ToArray();
    }

    private static byte[] Node(string op, string[] inputs, string[] outputs, params byte[][] attributes)
    {
        var n = new ProtoWriter();
        foreach (var i in inputs) n.WriteStringField(OnnxFields.NodeInput, i);
        foreach (var o in outputs) n.WriteStringField(OnnxFields.NodeOutput, o);
        n.WriteStringField(OnnxFields.NodeName, op.ToLowerInvariant() + "_" + outputs[0]);
        n.WriteStringField(OnnxFields.NodeOpType, op);
        foreach (var a in attributes) n.WriteBytesField(OnnxFields.NodeAttribute, a);
        return n.ToArray();
    }

    private static byte[] ConstantNode(string output, long[] values)
    {
        var a = new ProtoWriter();
        a.WriteStringField(OnnxFields.AttrName, "value");
        a.WriteBytesField(OnnxFields.AttrT, Int64Tensor("", values));
        a.WriteVarintField(20, 4); // type = TENSOR
        return Node("Constant", [], [output], a.ToArray());
    }

    /// <summary>x [batch,4] → Relu → mid → (middleOp) → y [batch,4], opset 13.</summary>
    internal static byte[] TinyModel(byte[][] extraNodes, byte[][] valueInfo, string middleOp,
        long[]? shapeInit = null, long flattenAxis = 1, long batch = 1)
    {
        var g = new ProtoWriter();
        foreach (var n in extraNodes) g.WriteBytesField(OnnxFields.GraphNode, n);
        g.WriteBytesField(OnnxFields.GraphNode, Node("Relu", ["x"], ["mid"]));
        switch (middleOp)
        {
            case "Relu":
                g.WriteBytesField(OnnxFields.GraphNode, Node("Relu", ["mid"], ["y"]));
                break;
            case "Reshape":
                g.WriteBytesField(OnnxFields.GraphNode, Node("Reshape", ["mid", "shp"], ["y"]));
                break;
            case "Flatten":
                var axis = new ProtoWriter();
                axis.WriteStringField(OnnxFields.AttrName, "axis");
                axis.WriteInt64Field(OnnxFields.AttrI, flattenAxis);
                axis.WriteVarintField(20, 2); // type = INT
                g.WriteBytesField(OnnxFields.GraphNode, Node("Flatten", ["mid"], ["y"], axis.ToArray()));
                break;
        }
        g.WriteStringField(2, "tiny");
        if (shapeInit is not null) g.WriteBytesField(OnnxFields.GraphInitializer, Int64Tensor("shp", shapeInit));
        g.WriteBytesField(OnnxFields.GraphInput, ValueInfo("x", batch, 4));
        g.WriteBytesField(OnnxFields.GraphOutput, ValueInfo("y", batch, 4));
        foreach (var vi in valueInfo) g.WriteBytesField(OnnxFields.GraphValueInfo, vi);

        var opset = new ProtoWriter();
        opset.WriteStringField(OnnxFields.OpsetDomain, "");
        opset.WriteInt64Field(OnnxFields.OpsetVersion, 13);
        var m = new ProtoWriter();
        m.WriteInt64Field(OnnxFields.ModelIrVersion, 7);
        m.WriteStringField(OnnxFields.ModelProducerName, "posetrack-tests");
        m.WriteBytesField(OnnxFields.ModelGraph, g.WrittenSpan);
        m.WriteBytesField(OnnxFields.ModelOpsetImport, opset.WrittenSpan);
        return m.ToArray();
    }
}
