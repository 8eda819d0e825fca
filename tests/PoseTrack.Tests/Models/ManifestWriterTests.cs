using System.Text.Json.Nodes;
using PoseTrack.Core;
using PoseTrack.Models;

namespace PoseTrack.Tests.Models;

/// <summary>models.json rewriting: layout kept, entries added/replaced, atomic writes, and the file checks behind list/verify.</summary>
public sealed class ManifestWriterTests
{
    [Fact]
    public void Format_ReproducesTheShippedManifestByteForByte()
    {
        var text = File.ReadAllText(Path.Combine(TestData.ModelsDir, "models.json"));
        Assert.Equal(text, ManifestWriter.Format(JsonNode.Parse(text)!));
    }

    [Fact]
    public void Upsert_AddsThenReplaces_KeepingOtherEntriesAndUnknownFields()
    {
        var dir = ModelsTestUtil.CopyModels(manifestOnly: true);
        var before = File.ReadAllText(Path.Combine(dir, "models.json"));
        var entry = new ModelEntry
        {
            Name = "extra-det", File = "extra.onnx", Sha256 = new string('a', 64), Task = "detector", Family = "rtmdet",
            Input = new ModelInputSize(640, 640), Colour = "bgr", Mean = [103.53f, 116.28f, 123.675f], Std = [57.375f, 57.12f, 58.395f],
            Decoder = "dets-nms-in-graph", Licence = "Apache-2.0", Origin = "test",
        };
        var letterbox = new Dictionary<string, JsonNode> { ["letterbox"] = new JsonObject { ["align"] = "top-left", ["pad"] = 114 } };
        ManifestWriter.Upsert(dir, ManifestWriter.ToJson(entry, letterbox));
        var after = File.ReadAllText(Path.Combine(dir, "models.json"));
        Assert.StartsWith(before[..before.LastIndexOf("    }", StringComparison.Ordinal)], after);
        Assert.Contains("\"std\": [57.375, 57.12, 58.395],\n      \"letterbox\": { \"align\": \"top-left\", \"pad\": 114 },\n      \"decoder\"", after);
        Assert.DoesNotContain("skeleton\": null", after);

        var manifest = ModelManifest.Load(dir);
        Assert.Equal(ModelsTestUtil.ShippedCount + 1, manifest.Models.Count);
        var loaded = manifest.Resolve("extra-det", ModelTask.Detector);
        Assert.Equal(640, loaded.Input.Width);
        Assert.Equal([103.53f, 116.28f, 123.675f], loaded.Mean);

        ManifestWriter.Upsert(dir, ManifestWriter.ToJson(entry with { Sha256 = new string('b', 64) }));
        manifest = ModelManifest.Load(dir);
        Assert.Equal(ModelsTestUtil.ShippedCount + 1, manifest.Models.Count);
        Assert.Equal(new string('b', 64), manifest.Resolve("extra-det", ModelTask.Detector).Sha256);
        Assert.Equal("movenet-lightning", manifest.Defaults.Pose);
        Assert.Equal(["models.json"], Directory.GetFiles(dir).Select(Path.GetFileName)); // no temporary files left
    }

    [Fact]
    public void Resolve_AUserPath_WhenTheDefaultDetectorIsItselfAnUnknownPath_TakesATemplateWithoutRecursing()
    {
        // A default that looks like a path and names no entry used to send Resolve into itself until the stack overflowed.
        var dir = ModelsTestUtil.CopyModels(manifestOnly: true);
        var path = Path.Combine(dir, "models.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"detector\": \"rtmdet-nano\"", "\"detector\": \"gone/detector.onnx\"", StringComparison.Ordinal));
        var manifest = ModelManifest.Load(dir);
        Assert.Equal("gone/detector.onnx", manifest.Defaults.Detector);
        var own = manifest.Resolve("/data/my-detector.onnx", ModelTask.Detector);
        Assert.Equal("/data/my-detector.onnx", own.File);
        Assert.Equal("user file", own.Origin);
        Assert.Equal(ModelTask.Detector, own.TaskKind);
    }

    [Fact]
    public void Upsert_CreatesAManifest_ThatLoadsWithOnlyAPoseModel()
    {
        var dir = TestData.TempDir("models");
        ManifestWriter.Upsert(dir, ManifestWriter.ToJson(new ModelEntry
        {
            Name = "p", File = "p.onnx", Task = "pose", Input = new ModelInputSize(192, 192), Skeleton = "coco17", Decoder = "movenet",
        }));
        var manifest = ModelManifest.Load(dir);
        Assert.Equal("p", manifest.Defaults.Pose);
        Assert.Equal("", manifest.Defaults.Detector);
    }

    [Fact]
    public void Upsert_OnAnInvalidManifest_FailsAndLeavesItAlone()
    {
        var dir = TestData.TempDir("models");
        File.WriteAllText(Path.Combine(dir, "models.json"), "{ \"models\": 3 }");
        var e = Assert.Throws<PoseTrackException>(() => ManifestWriter.Upsert(dir, new JsonObject { ["name"] = "x" }));
        Assert.Contains("not a list", e.Message);
        Assert.Equal("{ \"models\": 3 }", File.ReadAllText(Path.Combine(dir, "models.json")));
    }

    [Fact]
    public void Verifier_ReportsOkMismatchMissingAndUnchecked()
    {
        var dir = TestData.TempDir("models");
        File.WriteAllBytes(Path.Combine(dir, "a.onnx"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(dir, "b.onnx"), [4, 5, 6]);
        File.WriteAllBytes(Path.Combine(dir, "d.onnx"), [7]);
        string sha(byte[] b) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(b));
        foreach (var (name, file, hash) in new[] { ("a", "a.onnx", sha([1, 2, 3])), ("b", "b.onnx", sha([1, 2, 3])), ("c", "c.onnx", sha([1])), ("d", "d.onnx", "") })
            ManifestWriter.Upsert(dir, ManifestWriter.ToJson(new ModelEntry { Name = name, File = file, Sha256 = hash, Task = "pose", Input = new ModelInputSize(8, 8) }));
        var checks = ModelVerifier.CheckAll(ModelManifest.Load(dir));
        Assert.Equal([ModelFileState.Ok, ModelFileState.Mismatch, ModelFileState.Missing, ModelFileState.Unchecked], checks.Select(c => c.State));
        Assert.Equal(["ok", "MISMATCH", "missing file", "unchecked"], checks.Select(c => c.StateText));
        Assert.Equal([true, false, false, true], checks.Select(c => c.IsGood));
        Assert.Contains("expected", checks[1].Describe());
        Assert.Contains("c.onnx", checks[2].Describe());
    }
}
