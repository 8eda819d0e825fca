using PoseTrack.Core;
using PoseTrack.Inference;
using PoseTrack.ModelImport;
using PoseTrack.Pose;
using static PoseTrack.Tests.ModelImport.TfjsTestGraph;

namespace PoseTrack.Tests.ModelImport;

/// <summary>Importer behaviour on hand-built TFJS graphs, checked against hand-computed values.</summary>
public sealed class TfjsImporterTests
{
    private static readonly TfjsImportOptions Raw = new() { AdaptInputLayout = false };

    private static byte[] Convert(TfjsTestGraph g, TfjsImportOptions options, out TfjsImportReport report) =>
        TfjsImporter.ConvertToBytes(g.Write(TestData.TempDir("tfjs")), options, out report);

    private static float[] Range(int n) => Enumerable.Range(0, n).Select(i => (float)i).ToArray();

    [Fact]
    public void UnknownOp_FailsNamingTheOpAndTheNode()
    {
        var g = new TfjsTestGraph();
        var x = g.Input("x", "DT_FLOAT", 1, 4);
        g.Output(g.Op("weird/node", "Frobnicate", [x]));
        var e = Assert.Throws<PoseTrackException>(() => Convert(g, Raw, out _));
        Assert.Contains("'Frobnicate'", e.Message);
        Assert.Contains("'weird/node'", e.Message);
    }

    [Fact]
    public void MissingShard_And_NotJson_AreUserErrors()
    {
        var dir = TestData.TempDir("tfjs");
        var g = new TfjsTestGraph();
        g.Output(g.Op("y", "Identity", [g.Const("c", [1f], 1)]));
        var path = g.Write(dir);
        File.Delete(Path.Combine(dir, "model.bin"));
        Assert.Contains("model.bin", Assert.Throws<PoseTrackException>(() => TfjsImporter.ConvertToBytes(path, Raw, out _)).Message);
        File.WriteAllText(path, "{ not json");
        Assert.Throws<PoseTrackException>(() => TfjsImporter.ConvertToBytes(path, Raw, out _));
    }

    /// <summary>x = arange(120).reshape(2,3,4,5); x[1, ..., 2::-1] (shrink + ellipsis in the middle + reversed, which TFJS 4.22 itself cannot run).</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void StridedSlice_ShrinkWithMiddleEllipsis_RuntimeAndFolded(bool constantInput)
    {
        var g = new TfjsTestGraph();
        var x = constantInput ? g.Const("x", Range(120), 2, 3, 4, 5) : g.Input("x", "DT_FLOAT", 2, 3, 4, 5);
        var y = g.Op("y", "StridedSlice", [x, g.ConstInt("b", [1, 0, 2], 3), g.ConstInt("e", [2, 0, 0], 3), g.ConstInt("s", [1, 1, -1], 3)],
            ("begin_mask", I(0)), ("end_mask", I(4)), ("ellipsis_mask", I(2)), ("new_axis_mask", I(0)), ("shrink_axis_mask", I(1)));
        g.Output(y);
        var bytes = Convert(g, Raw, out var report);
        var inputs = constantInput ? [] : new[] { new TestTensor("x", [2, 3, 4, 5], Range(120), null) };
        var got = ImportTestUtil.Run(bytes, inputs)["y"];
        Assert.Equal([3L, 4, 3], got.Shape);
        var expected = new List<float>();
        for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) for (int k = 2; k >= 0; k--) expected.Add(60 + 20 * i + 5 * j + k);
        Assert.Equal(expected, got.Floats!);
        if (constantInput) Assert.DoesNotContain("Slice", report.OnnxOps.Keys);
    }

    [Fact]
    public void FloorDivAndFloorMod_OnConstants_FoldWithTfSigns()
    {
        var g = new TfjsTestGraph();
        var a = g.ConstInt("a", [7, -7, 7, -7, -1, 0], 6);
        var b = g.ConstInt("b", [2, 2, -2, -2, 3, -4], 6);
        g.Output(g.Op("q", "FloorDiv", [a, b]), g.Op("r", "FloorMod", [a, b]));
        var outs = ImportTestUtil.Run(Convert(g, Raw, out _), []);
        Assert.Equal([3L, -4, -4, 3, -1, 0], outs["q"].Ints!);
        Assert.Equal([1L, 1, -1, -1, 2, 0], outs["r"].Ints!);
    }

    [Fact]
    public void Conv_BiasRelu6_HandComputed()
    {
        // 3x3 single-channel image 1..9, 2x2 kernel of ones, bias −10, SAME (pad at the end), then Relu6.
        var g = new TfjsTestGraph();
        var x = g.Input("x", "DT_FLOAT", 1, 3, 3, 1);
        var w = g.Const("w", [1, 1, 1, 1], 2, 2, 1, 1);
        var b = g.Const("b", [-10], 1);
        g.Output(g.Op("y", "_FusedConv2D", [x, w, b], ("strides", Ints(1, 1, 1, 1)), ("padding", S("SAME")), ("data_format", S("NHWC")),
            ("dilations", Ints(1, 1, 1, 1)), ("fused_ops", Strs("BiasAdd", "Relu6")), ("num_args", I(1))));
        var y = ImportTestUtil.Run(Convert(g, Raw, out _), [new TestTensor("x", [1, 3, 3, 1], Range(9).Select(v => v + 1).ToArray(), null)])["y"];
        // Window sums: [12,16,9; 24,28,15; 15,17,9] − 10, clipped to [0,6].
        Assert.Equal([2f, 6, 0, 6, 6, 5, 5, 6, 0], y.Floats!);
    }

    [Fact]
    public void AdaptInputLayout_GivesPlanarFloatInput_OrKeepsTheGraphInput()
    {
        TfjsTestGraph Graph()
        {
            var g = new TfjsTestGraph();
            var x = g.Input("image", "DT_INT32", 1, 2, 2, 3);
            g.Output(g.Op("y", "Cast", [x], ("SrcT", Type("DT_INT32")), ("DstT", Type("DT_FLOAT"))));
            return g;
        }
        var adapted = Convert(Graph(), new TfjsImportOptions(), out var report);
        var info = OnnxModelInfo.Read(adapted);
        Assert.Equal("1x3x2x2", Assert.Single(info.Inputs).ShapeText);
        Assert.Equal(1, info.Inputs[0].ElementType);
        Assert.False(report.DynamicBatch);
        // Planar RGB in (R plane 0..3, G 10..13, B 20..23) → the graph sees NHWC pixels (R,G,B) per position.
        var planar = new float[] { 0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23 };
        var y = ImportTestUtil.Run(adapted, [new TestTensor("image", [1, 3, 2, 2], planar, null)])["y"];
        Assert.Equal([0f, 10, 20, 1, 11, 21, 2, 12, 22, 3, 13, 23], y.Floats!);

        var raw = OnnxModelInfo.Read(Convert(Graph(), Raw, out _));
        Assert.Equal("1x2x2x3", raw.Inputs[0].ShapeText);
        Assert.Equal(6, raw.Inputs[0].ElementType); // int32
    }

    [Fact]
    public void UnknownBatch_StaysDynamic()
    {
        var g = new TfjsTestGraph();
        var x = g.Input("x", "DT_FLOAT", -1, 4, 4, 3);
        var w = g.Const("w", Enumerable.Repeat(0.5f, 3 * 2).ToArray(), 1, 1, 3, 2);
        g.Output(g.Op("y", "Conv2D", [x, w], ("strides", Ints(1, 1, 1, 1)), ("padding", S("VALID")), ("data_format", S("NHWC")), ("dilations", Ints(1, 1, 1, 1))));
        var bytes = Convert(g, new TfjsImportOptions(), out var report);
        Assert.True(report.DynamicBatch);
        Assert.Equal("Nx3x4x4", OnnxModelInfo.Read(bytes).Inputs[0].ShapeText);
        var y = ImportTestUtil.Run(bytes, [new TestTensor("x", [2, 3, 4, 4], Enumerable.Repeat(2f, 96).ToArray(), null)])["y"];
        Assert.Equal([2L, 4, 4, 2], y.Shape);
        Assert.All(y.Floats!, v => Assert.Equal(3f, v));
    }

    [Fact]
    public void KeepFloat16_StoresHalfWeights_WithIdenticalResults()
    {
        var values = Enumerable.Range(0, 256).Select(i => (i - 128) / 7f).ToArray();
        TfjsTestGraph Graph()
        {
            var g = new TfjsTestGraph();
            var x = g.Input("x", "DT_FLOAT", 256);
            g.Output(g.Op("y", "Mul", [x, g.ConstHalf("w", values, 256)]));
            return g;
        }
        var f32 = Convert(Graph(), Raw, out _);
        var f16 = Convert(Graph(), Raw with { KeepFloat16Weights = true }, out var report);
        Assert.True(f16.Length < f32.Length - 400, $"{f16.Length} vs {f32.Length} bytes");
        Assert.True(report.OnnxOps.ContainsKey("Cast"));
        var input = new[] { new TestTensor("x", [256], Enumerable.Repeat(1f, 256).ToArray(), null) };
        var a = ImportTestUtil.Run(f32, input)["y"].Floats!;
        var b = ImportTestUtil.Run(f16, input)["y"].Floats!;
        Assert.Equal(a, b);
        Assert.Equal(values.Select(v => (float)(Half)v), a);
    }

    [Fact]
    public void Convert_WritesTheFile_AndReportsCoverage()
    {
        var g = new TfjsTestGraph();
        g.Output(g.Op("y", "Relu6", [g.Input("x", "DT_FLOAT", 1, 2, 2, 3)]));
        var dir = TestData.TempDir("tfjs");
        var output = Path.Combine(dir, "out", "model.onnx");
        var report = TfjsImporter.Convert(g.Write(dir), output, new TfjsImportOptions());
        Assert.True(File.Exists(output));
        Assert.Equal(1, report.TfOps["Relu6"]);
        Assert.Contains("Clip", report.OnnxOps.Keys);
        foreach (var op in new[] { "_FusedConv2D", "FusedDepthwiseConv2dNative", "Conv2DBackpropInput", "ResizeBilinear", "StridedSlice", "GatherNd", "FloorMod" })
            Assert.Contains(op, TfjsImporter.SupportedOps);
    }

    [Fact]
    public void MoveNetDecoder_ScalesYxToInputPixels()
    {
        var output = new float[51];
        for (int k = 0; k < 17; k++) { output[3 * k] = 0.25f; output[3 * k + 1] = 0.5f + k * 0.01f; output[3 * k + 2] = k / 17f; }
        var kps = new Keypoint[17];
        MoveNetDecoder.Decode(output, 192, 256, kps);
        Assert.Equal(96f, kps[0].X, 4);
        Assert.Equal(64f, kps[0].Y, 4);
        Assert.Equal((0.5f + 16 * 0.01f) * 192, kps[16].X, 3);
        Assert.Equal(16 / 17f, kps[16].Score);
        Assert.Throws<ArgumentException>(() => MoveNetDecoder.Decode(new float[50], 192, 192, kps));
        Assert.Throws<ArgumentException>(() => MoveNetDecoder.Decode(output, 192, 192, new Keypoint[16]));
    }
}
