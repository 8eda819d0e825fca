using System.Text.Json;
using PoseTrack.Models;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Models;

/// <summary>
/// The per-user models folder: <c>models install</c> and <c>import</c> write to <c>$XDG_DATA_HOME/posetrack/models</c> (else
/// <c>~/.local/share/posetrack/models</c>), never beside the binary; <c>models list</c>, <c>verify</c> and model names on every
/// command see the user-installed models after the shipped ones, and a shipped model wins a name clash. Every run sets
/// XDG_DATA_HOME (or HOME) to a temporary folder, so the real home is never written.
/// </summary>
public sealed class UserModelsTests(ITestOutputHelper output)
{
    private static readonly string ShippedDir = Path.Combine(AppContext.BaseDirectory, "models");

    private CliProcess.Result Run(string cwd, Dictionary<string, string> env, params string[] args)
    {
        var r = CliProcess.RunWithEnvironment(cwd, env, args);
        output.WriteLine($"$ posetrack {string.Join(' ', args)}  → {r.ExitCode}\n{r.Stdout}{r.Stderr}");
        return r;
    }

    /// <summary>An environment whose per-user data and cache folders are fresh temporary folders.</summary>
    private static (Dictionary<string, string> Env, string UserModels) XdgEnvironment()
    {
        var data = TestData.TempDir("xdg-data");
        var env = new Dictionary<string, string> { ["XDG_DATA_HOME"] = data, ["XDG_CACHE_HOME"] = TestData.TempDir("xdg-cache") };
        return (env, Path.Combine(data, "posetrack", "models"));
    }

    private static Dictionary<string, Dictionary<string, string>> Table(string stdout)
    {
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split('\t');
        return lines.Skip(1).Select(l => l.Split('\t')).ToDictionary(c => c[0], c => header.Zip(c).ToDictionary(p => p.First, p => p.Second));
    }

    [Fact]
    public void Install_WritesTheXdgDataFolder_ThenListVerifyAndDetectorByName_SeeIt()
    {
        var (env, user) = XdgEnvironment();
        var cwd = TestData.TempDir("cwd");
        var shippedBefore = ModelsTestUtil.Snapshot(ShippedDir);
        using var server = new LoopbackHttpServer(ModelDownloadTests.Archive());

        var r = Run(cwd, env, "models", "install", "rtmdet-nano-obj365", "--url", server.Url("x.zip"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"installed rtmdet-nano-obj365: {Path.Combine(user, "rtmdet_nano_obj365_320.onnx")}", r.Stdout);
        Assert.Equal(["models.json", "rtmdet_nano_obj365_320.onnx"], Directory.GetFiles(user).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(shippedBefore, ModelsTestUtil.Snapshot(ShippedDir));
        Assert.Empty(Directory.GetFileSystemEntries(cwd));

        var list = Run(cwd, env, "models", "list");
        Assert.Equal(0, list.ExitCode);
        var rows = Table(list.Stdout);
        Assert.Equal("user", rows["rtmdet-nano-obj365"]["source"]);
        Assert.Equal("ok", rows["rtmdet-nano-obj365"]["sha256"]);
        Assert.Equal("shipped", rows["rtmdet-nano"]["source"]);
        Assert.Equal("default detector", rows["rtmdet-nano"]["role"]);
        // Shipped first, user-installed after.
        Assert.Equal("rtmdet-nano-obj365", rows.Keys.Last());

        var available = Table(Run(cwd, env, "models", "list", "--available").Stdout);
        Assert.Equal("yes", available["rtmdet-nano-obj365"]["installed"]);

        var verify = Run(cwd, env, "models", "verify");
        Assert.Equal(0, verify.ExitCode);
        Assert.Contains($"ok\trtmdet-nano-obj365\t{Path.Combine(user, "rtmdet_nano_obj365_320.onnx")}", verify.Stdout);
        Assert.Contains(user, verify.Stderr);

        // Resolution by name on a pipeline command.
        var image = Run(cwd, env, "image", Path.Combine(TestData.RepoRoot, "samples", "data", "people.jpg"), "--detector", "rtmdet-nano-obj365", "--json", "poses.json", "-q");
        Assert.Equal(0, image.ExitCode);
        Assert.Contains("rtmdet-nano-obj365", File.ReadAllText(Path.Combine(cwd, "poses.json")));

        // An explicit --models folder is used alone.
        var alone = Run(cwd, env, "models", "list", "--models", TestData.ModelsDir);
        Assert.DoesNotContain("rtmdet-nano-obj365", alone.Stdout);
    }

    [Theory]
    [InlineData("")]
    [InlineData("relative/data")] // the XDG spec: a relative path is ignored
    public void Import_WithoutXdgDataHome_WritesUnderHome(string xdg)
    {
        var home = TestData.TempDir("home");
        var env = new Dictionary<string, string> { ["HOME"] = home, ["XDG_DATA_HOME"] = xdg };
        var cwd = TestData.TempDir("cwd");
        var r = Run(cwd, env, "models", "import", ModelsTestUtil.MoveNetShapedGraph(), "--name", "tiny");
        Assert.Equal(0, r.ExitCode);
        var user = Path.Combine(home, ".local", "share", "posetrack", "models");
        Assert.True(File.Exists(Path.Combine(user, "tiny.onnx")), r.Stdout);
        Assert.False(Directory.Exists(Path.Combine(cwd, "relative")));
        var rows = Table(Run(cwd, env, "models", "list").Stdout);
        Assert.Equal("user", rows["tiny"]["source"]);
    }

    [Fact]
    public void NameClash_TheShippedModelWins_AndInstallNeverWritesTheShippedFolder()
    {
        var (env, user) = XdgEnvironment();
        var cwd = TestData.TempDir("cwd");
        var shippedBefore = ModelsTestUtil.Snapshot(ShippedDir);

        // A user folder holding a model with a shipped model's name (written by hand or by an older version).
        Directory.CreateDirectory(user);
        File.WriteAllBytes(Path.Combine(user, "mine.onnx"), [1, 2, 3]);
        ManifestWriter.Upsert(user, ManifestWriter.ToJson(new ModelEntry
        {
            Name = "movenet-lightning", File = "mine.onnx", Task = "pose", Input = new ModelInputSize(8, 8), Origin = "mine",
        }));
        var list = Run(cwd, env, "models", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains($"posetrack: warning: the user-installed model 'movenet-lightning' in {user} is not used: a shipped model has that name, and shipped models win", list.Stderr);
        var row = Table(list.Stdout)["movenet-lightning"];
        Assert.Equal("shipped", row["source"]);
        Assert.Equal("ok", row["sha256"]);
        Assert.Equal(1, list.Stdout.Split('\n').Count(l => l.StartsWith("movenet-lightning\t", StringComparison.Ordinal)));
        Assert.Equal(0, Run(cwd, env, "models", "verify", "-q").ExitCode);

        // Installing a shipped model: already there, nothing fetched or written.
        var userBefore = ModelsTestUtil.Snapshot(user);
        var thunder = Run(cwd, env, "models", "install", "movenet-thunder");
        Assert.Equal(0, thunder.ExitCode);
        Assert.StartsWith($"movenet-thunder is already installed: {Path.Combine(ShippedDir, "movenet_singlepose_thunder_256.onnx")}", thunder.Stdout);
        Assert.Equal(userBefore, ModelsTestUtil.Snapshot(user));

        // Importing under a shipped name is refused; so is --models pointing at the shipped folder.
        var import = Run(cwd, env, "models", "import", ModelsTestUtil.MoveNetShapedGraph(), "--name", "movenet-thunder");
        Assert.Equal(2, import.ExitCode);
        Assert.Contains("shipped models win", import.Stderr);
        var into = Run(cwd, env, "models", "import", ModelsTestUtil.MoveNetShapedGraph(), "--name", "other", "--models", ShippedDir);
        Assert.Equal(2, into.ExitCode);
        Assert.Contains("holds the models shipped with posetrack", into.Stderr);
        Assert.Equal(userBefore, ModelsTestUtil.Snapshot(user));
        Assert.Equal(shippedBefore, ModelsTestUtil.Snapshot(ShippedDir));
    }
}
