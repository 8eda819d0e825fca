using PoseTrack.Core;
using PoseTrack.ModelImport;
using PoseTrack.Models;
using Xunit;

namespace PoseTrack.Tests.ModelImport;

/// <summary>
/// <see cref="TfjsImportOptions.ChannelsFirstOutputs"/>: a TFJS model's channels-last maps come out [N,C,H,W], channels in
/// the order asked for; EfficientPose's joint order is a permutation into MPII-16.
/// </summary>
public class ChannelsFirstOutputTests
{
    private static string Graph(string dir)
    {
        var g = new TfjsTestGraph();
        var x = g.Input("x", "DT_FLOAT", 1, 2, 3, 4);   // NHWC: H 2, W 3, C 4
        var bias = g.Const("bias", [0, 100, 200, 300], 4);
        g.Op("maps", "BiasAdd", [x, bias], ("T", TfjsTestGraph.Type("DT_FLOAT")));
        g.Output("maps");
        return g.Write(dir);
    }

    [Fact]
    public void ChannelsLastOutput_IsTransposed_AndReordered()
    {
        var json = Graph(TestData.TempDir("chw"));
        var options = new TfjsImportOptions { AdaptInputLayout = false, ChannelsFirstOutputs = new Dictionary<string, int[]?> { ["maps"] = [3, 1, 2, 0] } };
        var bytes = TfjsImporter.ConvertToBytes(json, options, out var report);
        Assert.Equal("maps float [1,4,2,3]", report.Outputs.Single());
        // Input value at (h, w, c) = 10h + w + 1000c; the output at (c', h, w) is input channel order[c'] plus its bias.
        var input = new float[2 * 3 * 4];
        for (int h = 0; h < 2; h++) for (int w = 0; w < 3; w++) for (int c = 0; c < 4; c++) input[(h * 3 + w) * 4 + c] = 10 * h + w + 1000 * c;
        var output = ImportTestUtil.Run(bytes, [new TestTensor("x", [1, 2, 3, 4], input, null)])["maps"];
        Assert.Equal([1L, 4, 2, 3], output.Shape);
        int[] order = [3, 1, 2, 0];
        for (int c = 0; c < 4; c++) for (int h = 0; h < 2; h++) for (int w = 0; w < 3; w++)
            Assert.Equal(10 * h + w + 1000 * order[c] + 100 * order[c], output.Floats![(c * 2 + h) * 3 + w]);
    }

    [Fact]
    public void AWrongChannelOrder_IsOneClearError()
    {
        var json = Graph(TestData.TempDir("chw"));
        var options = new TfjsImportOptions { AdaptInputLayout = false, ChannelsFirstOutputs = new Dictionary<string, int[]?> { ["maps"] = [0, 1, 2] } };
        var e = Assert.Throws<PoseTrackException>(() => TfjsImporter.ConvertToBytes(json, options, out _));
        Assert.Contains("4 channels", e.Message);
    }

    [Fact]
    public void EfficientPoseOrder_IsAPermutation_PuttingItsJointsInMpiiSlots()
    {
        var order = TfjsImportOptions.EfficientPoseToMpii;
        Assert.Equal(Enumerable.Range(0, 16), order.Order());
        // EfficientPose's joint names (its repository's body_parts), by the channel the model writes them to.
        string[] efficientPose = ["head_top", "upper_neck", "r_shoulder", "r_elbow", "r_wrist", "thorax", "l_shoulder", "l_elbow", "l_wrist",
            "pelvis", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle"];
        Assert.Equal(Skeleton.Mpii16.JointNames, order.Select(c => efficientPose[c]).ToArray());
    }

    [Fact]
    public void EfficientPose_IsInTheCatalogue_AsAnEvaluationOnlyMpiiHeatmapModel_NotInThePackedManifest()
    {
        var entry = ModelCatalogue.Find("efficientpose");
        Assert.Equal(CatalogueSourceKind.Npm, entry.Kind);
        Assert.Equal("mpii16", entry.Model.Skeleton);
        Assert.Equal("heatmap", entry.Model.Decoder);
        Assert.Equal(new ModelInputSize(368, 368), entry.Model.Input);
        Assert.Contains("evaluation and tests only", entry.Model.Licence);
        Assert.StartsWith("sha512-", entry.NpmIntegrity);
        var packed = File.ReadAllText(Path.Combine(TestData.ModelsDir, "models.json"));
        Assert.DoesNotContain("efficientpose", packed, StringComparison.OrdinalIgnoreCase);
    }
}
