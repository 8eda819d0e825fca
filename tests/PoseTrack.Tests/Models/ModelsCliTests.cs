using Xunit.Abstractions;

namespace PoseTrack.Tests.Models;

/// <summary>The <c>posetrack models</c> command as a user runs it (child process, output redirected: tab-separated).</summary>
public sealed class ModelsCliTests(ITestOutputHelper output)
{
    private CliProcess.Result Run(string dir, params string[] args)
    {
        var r = CliProcess.Run(dir, args);
        output.WriteLine($"$ posetrack {string.Join(' ', args)}  → {r.ExitCode}\n{r.Stdout}{r.Stderr}");
        return r;
    }

    private static Dictionary<string, Dictionary<string, string>> Table(string stdout)
    {
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split('\t');
        return lines.Skip(1).Select(l => l.Split('\t')).ToDictionary(c => c[0], c => header.Zip(c).ToDictionary(p => p.First, p => p.Second));
    }

    [Fact]
    public void ListAndVerify_OnACopiedModelsFolder()
    {
        var dir = ModelsTestUtil.CopyModels();
        var list = Run(dir, "models", "list", "--models", dir);
        Assert.Equal(0, list.ExitCode);
        Assert.Equal("name\ttask\tfamily\tskeleton\tinput\tlicence\tsize\tsha256\trole\tsource", list.Stdout.Split('\n')[0]);
        var rows = Table(list.Stdout);
        // models.json first, then the evaluation-only entries of models.evaluation.json.
        Assert.Equal(["rtmdet-nano", "yolox-nano", "movenet-lightning", "movenet-thunder", "simplepose-nano"], rows.Keys);
        Assert.All(rows.Values, r => Assert.Equal("folder", r["source"]));
        Assert.All(rows.Values, r => Assert.Equal("ok", r["sha256"]));
        Assert.Equal("default detector", rows["rtmdet-nano"]["role"]);
        Assert.Equal("default pose, preset fast", rows["movenet-lightning"]["role"]);
        Assert.Equal("preset accurate", rows["movenet-thunder"]["role"]);
        Assert.Equal("-", rows["yolox-nano"]["role"]);
        Assert.Equal("192x256", rows["simplepose-nano"]["input"]);
        Assert.Equal("coco17", rows["movenet-thunder"]["skeleton"]);
        Assert.Equal("-", rows["rtmdet-nano"]["skeleton"]);
        Assert.Equal("Apache-2.0", rows["movenet-lightning"]["licence"]);
        Assert.Equal(new FileInfo(Path.Combine(dir, "movenet_singlepose_lightning_192.onnx")).Length.ToString(System.Globalization.CultureInfo.InvariantCulture), rows["movenet-lightning"]["size"]);

        var verify = Run(dir, "models", "verify", "--models", dir);
        Assert.Equal(0, verify.ExitCode);
        Assert.Equal(5, verify.Stdout.Split('\n').Count(l => l.StartsWith("ok\t", StringComparison.Ordinal)));

        // One file changed, one gone.
        using (var f = File.OpenWrite(Path.Combine(dir, "yolox_nano_humanart_416.onnx"))) { f.Seek(100, SeekOrigin.Begin); f.WriteByte(0x5a); }
        File.Delete(Path.Combine(dir, "movenet_singlepose_thunder_256.onnx"));
        rows = Table(Run(dir, "models", "list", "--models", dir).Stdout);
        Assert.Equal("MISMATCH", rows["yolox-nano"]["sha256"]);
        Assert.Equal("missing file", rows["movenet-thunder"]["sha256"]);
        Assert.Equal("-", rows["movenet-thunder"]["size"]);
        Assert.Equal("ok", rows["rtmdet-nano"]["sha256"]);

        verify = Run(dir, "models", "verify", "--models", dir);
        Assert.Equal(2, verify.ExitCode);
        var errors = verify.Stderr.Split('\n').Where(l => l.StartsWith("posetrack: error: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, l => l.Contains("yolox-nano", StringComparison.Ordinal) && l.Contains("yolox_nano_humanart_416.onnx", StringComparison.Ordinal) && l.Contains("does not match", StringComparison.Ordinal));
        Assert.Contains(errors, l => l.Contains("movenet-thunder", StringComparison.Ordinal) && l.Contains("missing", StringComparison.Ordinal));
        Assert.Contains(errors, l => l.Contains("2 of 5", StringComparison.Ordinal));
    }

    [Fact]
    public void List_Available_And_MissingFolder()
    {
        var dir = TestData.TempDir("models");
        var available = Run(dir, "models", "list", "--available", "--models", TestData.ModelsDir);
        Assert.Equal(0, available.ExitCode);
        var rows = Table(available.Stdout);
        Assert.Equal("yes", rows["movenet-lightning"]["installed"]);
        Assert.Equal("no", rows["rtmpose-t"]["installed"]);
        Assert.StartsWith("download https://download.openmmlab.com/", rows["rtmpose-t"]["source"]);

        var missing = Run(dir, "models", "list", "--models", Path.Combine(dir, "nothing-here"));
        Assert.Equal(2, missing.ExitCode);
        Assert.StartsWith("posetrack: error: models folder not found", missing.Stderr);
    }

    [Fact]
    public void Import_RegistersTheModel_ThenTheNameIsTaken()
    {
        var dir = ModelsTestUtil.CopyModels(manifestOnly: true);
        var source = ModelsTestUtil.MoveNetShapedGraph();
        var r = Run(dir, "models", "import", source, "--name", "tiny", "--models", dir);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("imported tiny", r.Stdout);
        Assert.Contains("decoder movenet, skeleton coco17", r.Stdout);
        Assert.True(File.Exists(Path.Combine(dir, "tiny.onnx")));

        var before = ModelsTestUtil.Snapshot(dir);
        var again = Run(dir, "models", "import", source, "--name", "tiny", "--models", dir);
        Assert.Equal(2, again.ExitCode);
        Assert.Equal("posetrack: error: a model named 'tiny' is already in " + Path.Combine(dir, "models.json") + " (choose another --name)", again.Stderr.Trim());
        Assert.Equal(before, ModelsTestUtil.Snapshot(dir));
    }

    [Theory]
    [InlineData("layers-model", "not a graph model")]
    [InlineData("short-shard", "past the end of its shards")]
    [InlineData("unsupported-op", "Frobnicate")]
    public void Import_BadInput_IsOneLine_ExitTwo_NothingWritten(string kind, string expected)
    {
        var dir = ModelsTestUtil.CopyModels(manifestOnly: true);
        var before = ModelsTestUtil.Snapshot(dir);
        var r = Run(dir, "models", "import", ModelImportTests.MakeSource(kind), "--name", "x", "--models", dir);
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("posetrack: error: ", line);
        Assert.Contains(expected, line);
        Assert.Equal(before, ModelsTestUtil.Snapshot(dir));
    }

    [Fact]
    public void Import_WithoutName_And_Install_Unknown_AreBadInput()
    {
        var dir = TestData.TempDir("models");
        Assert.Equal(2, Run(dir, "models", "import", "model.json").ExitCode);
        var r = Run(dir, "models", "install", "no-such-model", "--models", dir);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("known: movenet-lightning", r.Stderr);
        r = Run(dir, "models", "install", "movenet-lightning", "--url", "http://127.0.0.1:1/x.zip", "--models", dir);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--url applies to download models only", r.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public void Install_ShippedMoveNet_IsAlreadyInstalled()
    {
        var dir = ModelsTestUtil.CopyModels();
        var r = Run(dir, "models", "install", "movenet-thunder", "--models", dir, "--cache", TestData.TempDir("cache"));
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("movenet-thunder is already installed", r.Stdout);
    }
}
