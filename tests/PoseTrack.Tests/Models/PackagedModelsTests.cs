using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Models;

/// <summary>
/// What the packages carry: the library's pack items for models/ (asked of MSBuild, as `dotnet pack` evaluates them) against
/// the real models/models.json. The packed and published models.json must list exactly the packed model files, so an
/// installed tool passes its own `posetrack models verify`; the evaluation-only models (models/models.evaluation.json) are
/// neither packed nor published. (scripts/package-check.sh checks the real .nupkg.)
/// </summary>
public sealed class PackagedModelsTests(ITestOutputHelper output)
{
    private sealed record Item(string Name, bool Packed, bool Published);

    /// <summary>The None items of src/PoseTrack/PoseTrack.csproj under models/, from `dotnet msbuild -getItem:None` (evaluation only).</summary>
    private static readonly Lazy<IReadOnlyList<Item>> ModelItems = new(() =>
    {
        var project = Path.Combine(TestData.RepoRoot, "src", "PoseTrack", "PoseTrack.csproj");
        var r = CliProcess.RunProgram("dotnet", ["msbuild", project, "-getItem:None", "-p:Configuration=Release", "-nologo"], TimeSpan.FromMinutes(2));
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        var modelsDir = Path.GetFullPath(TestData.ModelsDir) + Path.DirectorySeparatorChar;
        return JsonNode.Parse(r.Stdout)!["Items"]!["None"]!.AsArray()
            .Select(i => i!.AsObject())
            .Where(i => Path.GetFullPath(i["FullPath"]!.GetValue<string>()).StartsWith(modelsDir, StringComparison.Ordinal))
            .Select(i => new Item(
                Path.GetFileName(i["FullPath"]!.GetValue<string>()),
                Packed: string.Equals((string?)i["Pack"], "true", StringComparison.OrdinalIgnoreCase)
                        && ((string?)i["PackagePath"])?.TrimEnd('/') == "contentFiles/any/any/models",
                Published: (string?)i["CopyToPublishDirectory"] is not "Never" && (string?)i["CopyToOutputDirectory"] is "PreserveNewest" or "Always"))
            .ToList();
    });

    private static JsonArray Entries(string file) => JsonNode.Parse(File.ReadAllText(Path.Combine(TestData.ModelsDir, file)))!["models"]!.AsArray();

    private static IEnumerable<string> FilesOf(JsonArray entries) =>
        entries.SelectMany(e => new[] { (string?)e!["file"], (string?)e!["licence_file"] }).OfType<string>();

    [Fact]
    public void PackedModelsJson_ListsExactlyThePackedModelFiles_AndNoEvaluationModel()
    {
        var items = ModelItems.Value;
        foreach (var i in items) output.WriteLine($"{i.Name}\tpacked={i.Packed}\tpublished={i.Published}");
        // Every file of models/ is an item, and the tool (publish) carries what the library package carries.
        Assert.Equal(Directory.GetFiles(TestData.ModelsDir).Select(Path.GetFileName).Order(StringComparer.Ordinal), items.Select(i => i.Name).Order(StringComparer.Ordinal));
        Assert.All(items, i => Assert.True(i.Packed == i.Published, $"{i.Name}: packed={i.Packed}, published={i.Published}"));
        var packed = items.Where(i => i.Packed).Select(i => i.Name).ToHashSet(StringComparer.Ordinal);

        Assert.Contains("models.json", packed);
        var shipped = Entries("models.json");
        Assert.NotEmpty(shipped);
        Assert.All(FilesOf(shipped), f => Assert.Contains(f, packed));
        // ...and no packed model file is missing from it.
        Assert.Equal(packed.Where(f => f.EndsWith(".onnx", StringComparison.Ordinal)).Order(StringComparer.Ordinal),
                     shipped.Select(e => (string)e!["file"]!).Order(StringComparer.Ordinal));

        Assert.DoesNotContain(ModelManifestEvaluationFile, packed);
        var evaluation = Entries(ModelManifestEvaluationFile);
        Assert.Contains(evaluation, e => (string?)e!["name"] == "simplepose-nano");
        Assert.All(FilesOf(evaluation), f => Assert.DoesNotContain(f, packed));
        // The defaults and presets name packed models only.
        var doc = JsonNode.Parse(File.ReadAllText(Path.Combine(TestData.ModelsDir, "models.json")))!;
        var names = shipped.Select(e => (string)e!["name"]!).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var v in doc["defaults"]!.AsObject().Concat(doc["presets"]!.AsObject()))
            Assert.Contains((string)v.Value!, names);
    }

    private const string ModelManifestEvaluationFile = PoseTrack.Models.ModelManifest.EvaluationFileName;

    [Fact]
    public void AFolderOfThePackedFiles_PassesModelsVerify()
    {
        var dir = TestData.TempDir("packed-models");
        foreach (var i in ModelItems.Value.Where(i => i.Packed))
            File.Copy(Path.Combine(TestData.ModelsDir, i.Name), Path.Combine(dir, i.Name));
        var verify = CliProcess.Run(dir, "models", "verify", "--models", dir);
        output.WriteLine(verify.Stdout + verify.Stderr);
        Assert.Equal(0, verify.ExitCode);
        Assert.Equal(Entries("models.json").Count, verify.Stdout.Split('\n').Count(l => l.StartsWith("ok\t", StringComparison.Ordinal)));
        Assert.DoesNotContain("simplepose", verify.Stdout + verify.Stderr);
    }
}
