using System.Security.Cryptography;
using System.Text.Json.Nodes;
using PoseTrack.Core;
using PoseTrack.Models;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Models;

/// <summary><c>posetrack models import</c>: TFJS graph → ONNX → models.json entry; bad input leaves the folder untouched.</summary>
public sealed class ModelImportTests(ITestOutputHelper output)
{
    [Fact]
    public void MoveNetShapedGraph_IsRegisteredWithTheMoveNetContract()
    {
        var dir = ModelsTestUtil.CopyModels(manifestOnly: true);
        var source = ModelsTestUtil.MoveNetShapedGraph();
        var result = ModelInstaller.ImportTfjs(source, new TfjsImportRequest { Name = "tiny-pose" }, dir);
        Assert.Equal(InstallOutcome.Installed, result.Outcome);
        Assert.Equal(Path.Combine(dir, "tiny-pose.onnx"), result.Path);

        var manifest = ModelManifest.Load(dir);
        var e = manifest.Resolve("tiny-pose", ModelTask.Pose);
        Assert.Equal("tiny-pose.onnx", e.File);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(result.Path))), e.Sha256);
        Assert.Equal("movenet", e.Decoder);
        Assert.Equal("movenet", e.Family);
        Assert.Equal("coco17", e.Skeleton);
        Assert.Equal(new ModelInputSize(4, 4), e.Input);
        Assert.Equal("rgb", e.Colour);
        Assert.Equal([0f, 0, 0], e.Mean);
        Assert.Equal([1f, 1, 1], e.Std);
        Assert.Equal("unknown (imported by the user)", e.Licence);
        Assert.Contains(source, e.Origin);
        Assert.Matches("sha256 of model.json \\+ weight shards [0-9a-f]{64}", e.Origin);
        manifest.ReadVerified(e); // the recorded sha256 is the file's
        Assert.DoesNotContain(Directory.GetFiles(dir), f => Path.GetFileName(f).StartsWith('.'));
    }

    [Theory]
    [InlineData(17, null, "coco17")]
    [InlineData(16, null, "mpii16")]
    [InlineData(16, "mpii16", "mpii16")]
    public void HeatmapShapedGraph_GetsTheHeatmapDecoder_AndTheSkeletonOfItsKeypointCount(int k, string? skeleton, string expected)
    {
        var dir = TestData.TempDir("models");
        var result = ModelInstaller.ImportTfjs(ModelsTestUtil.HeatmapShapedGraph(k), new TfjsImportRequest { Name = "hm", Skeleton = skeleton, Family = "mine" }, dir);
        Assert.Equal("heatmap", result.Entry.Decoder);
        Assert.Equal(expected, result.Entry.Skeleton);
        Assert.Equal("mine", result.Entry.Family);
        Assert.Equal(new ModelInputSize(6, 8), result.Entry.Input);
        Assert.Equal("hm", ModelManifest.Load(dir).Resolve("hm", ModelTask.Pose).Name);
    }

    [Theory]
    [InlineData("taken", "graph", "already in")]
    [InlineData("fast", "graph", "preset")]
    [InlineData("Bad Name", "graph", "invalid model name")]
    [InlineData("new", "layers-model", "not a graph model")]
    [InlineData("new", "not-json", "not JSON")]
    [InlineData("new", "missing-shard", "model.bin")]
    [InlineData("new", "short-shard", "past the end of its shards")]
    [InlineData("new", "unsupported-op", "'Frobnicate'")]
    [InlineData("new", "flat-output", "cannot choose a decoder")]
    [InlineData("new", "five-keypoints", "5 keypoints")]
    [InlineData("new", "missing-file", "not found")]
    public void BadInput_IsAClearError_AndTheFolderIsUnchanged(string name, string source, string expected)
    {
        var dir = ModelsTestUtil.CopyModels(manifestOnly: true);
        ManifestWriter.Upsert(dir, ManifestWriter.ToJson(new ModelEntry { Name = "taken", File = "taken.onnx", Task = "pose", Input = new ModelInputSize(8, 8) }));
        var before = ModelsTestUtil.Snapshot(dir);
        var e = Assert.Throws<PoseTrackException>(() => ModelInstaller.ImportTfjs(MakeSource(source), new TfjsImportRequest { Name = name }, dir));
        output.WriteLine(e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Equal(before, ModelsTestUtil.Snapshot(dir));
    }

    /// <summary>A model.json of the named kind of bad (or good: "graph") input.</summary>
    internal static string MakeSource(string kind) => kind switch
    {
        "graph" => ModelsTestUtil.MoveNetShapedGraph(),
        "layers-model" => NotAGraphModel(),
        "not-json" => NotJson(),
        "missing-shard" => MissingShard(),
        "short-shard" => ShortShard(),
        "unsupported-op" => ModelsTestUtil.UnsupportedOpGraph(),
        "flat-output" => ModelsTestUtil.FlatOutputGraph(),
        "five-keypoints" => ModelsTestUtil.MoveNetShapedGraph(keypoints: 5),
        "missing-file" => "/nonexistent/model.json",
        _ => throw new ArgumentException(kind),
    };

    [Fact]
    public void SkeletonThatDoesNotFitTheOutput_IsRejected()
    {
        var dir = TestData.TempDir("models");
        var e = Assert.Throws<PoseTrackException>(() =>
            ModelInstaller.ImportTfjs(ModelsTestUtil.MoveNetShapedGraph(), new TfjsImportRequest { Name = "x", Skeleton = "mpii16" }, dir));
        Assert.Contains("needs 16 keypoints, the model outputs 17", e.Message);
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void UnlistedFileOfTheSameName_IsNotOverwritten()
    {
        var dir = TestData.TempDir("models");
        File.WriteAllText(Path.Combine(dir, "mine.onnx"), "precious");
        var e = Assert.Throws<PoseTrackException>(() =>
            ModelInstaller.ImportTfjs(ModelsTestUtil.MoveNetShapedGraph(), new TfjsImportRequest { Name = "mine" }, dir));
        Assert.Contains("already exists", e.Message);
        Assert.Equal("precious", File.ReadAllText(Path.Combine(dir, "mine.onnx")));
        Assert.Single(Directory.GetFiles(dir));
    }

    [Fact]
    public void FailedManifestWrite_RemovesTheModelFile()
    {
        // models.json is a folder: the model file is moved in, the manifest rename fails, and the file must go again.
        var dir = TestData.TempDir("models");
        Directory.CreateDirectory(Path.Combine(dir, "models.json"));
        var e = Assert.Throws<PoseTrackException>(() =>
        {
            ModelInstaller.Register(dir, new ModelEntry { Name = "x", File = "x.onnx", Task = "pose", Input = new ModelInputSize(8, 8) }, [1, 2, 3], null, false, default);
        });
        output.WriteLine(e.Message);
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void RealMoveNet_ImportsToTheShippedFile()
    {
        var src = ModelsTestUtil.MoveNetSourceOrSkip(output);
        if (src is null) return;
        var dir = ModelsTestUtil.CopyModels(manifestOnly: true);
        // The shipped files expose MoveNet's heads: --movenet-heads converts the same way.
        var result = ModelInstaller.ImportTfjs(Path.Combine(src, "movenet-lightning.json"), new TfjsImportRequest { Name = "my-movenet", MoveNetHeads = true }, dir);
        var shipped = ModelManifest.Load(TestData.ModelsDir).Resolve("movenet-lightning", ModelTask.Pose);
        Assert.Equal(shipped.Sha256, result.Entry.Sha256);
        // Without it, the graph's keypoint output only.
        var plain = ModelInstaller.ImportTfjs(Path.Combine(src, "movenet-lightning.json"), new TfjsImportRequest { Name = "my-movenet-plain" }, dir);
        Assert.Single(PoseTrack.Inference.OnnxModelInfo.Load(plain.Path).Outputs);
        Assert.Equal("movenet", plain.Entry.Decoder);
        Assert.Equal(shipped.Input, result.Entry.Input);
        Assert.Equal(shipped.Decoder, result.Entry.Decoder);
        Assert.Equal(shipped.Skeleton, result.Entry.Skeleton);
        Assert.Equal("movenet", result.Entry.Family);
    }

    private static string NotAGraphModel()
    {
        var dir = TestData.TempDir("tfjs");
        var path = Path.Combine(dir, "model.json");
        File.WriteAllText(path, new JsonObject { ["format"] = "layers-model", ["modelTopology"] = new JsonObject { ["class_name"] = "Sequential" } }.ToJsonString());
        return path;
    }

    private static string NotJson()
    {
        var path = Path.Combine(TestData.TempDir("tfjs"), "model.json");
        File.WriteAllText(path, "<html>not a model</html>");
        return path;
    }

    private static string MissingShard()
    {
        var path = ModelsTestUtil.MoveNetShapedGraph();
        File.Delete(Path.Combine(Path.GetDirectoryName(path)!, "model.bin"));
        return path;
    }

    private static string ShortShard()
    {
        var path = ModelsTestUtil.MoveNetShapedGraph();
        var bin = Path.Combine(Path.GetDirectoryName(path)!, "model.bin");
        var bytes = File.ReadAllBytes(bin);
        File.WriteAllBytes(bin, bytes[..(bytes.Length / 2)]);
        return path;
    }
}
