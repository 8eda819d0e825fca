using System.IO.Compression;
using System.Security.Cryptography;
using PoseTrack.Core;
using PoseTrack.Models;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Models;

/// <summary>
/// <c>posetrack models install</c> for download models, end to end against a loopback HTTP server serving a zip the test
/// builds (the shipped RTMDet-nano ONNX inside an mmdeploy-like folder): good, cut-off (resumed or restarted), always
/// cut-off, wrong sha256, not found, no .onnx inside.
/// </summary>
public sealed class ModelDownloadTests(ITestOutputHelper output)
{
    private static readonly CatalogueEntry Detector = ModelCatalogue.Find("rtmdet-nano-obj365");
    private static readonly string OnnxPath = Path.Combine(TestData.ModelsDir, "rtmdet_nano_person_320.onnx");

    private static string Sha(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    /// <summary>A zip like OpenMMLab's: a folder with end2end.onnx and the SDK's json files.</summary>
    internal static byte[] Archive(bool withOnnx = true)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            if (withOnnx)
            {
                var e = zip.CreateEntry("rtmdet-nano/end2end.onnx", CompressionLevel.NoCompression); // stored: the archive is as large as the model
                using var s = e.Open();
                s.Write(File.ReadAllBytes(OnnxPath));
            }
            foreach (var name in new[] { "rtmdet-nano/pipeline.json", "rtmdet-nano/deploy.json", "rtmdet-nano/detail.json" })
            {
                using var w = new StreamWriter(zip.CreateEntry(name).Open());
                w.Write("{}");
            }
        }
        return ms.ToArray();
    }

    private (InstallOptions Options, List<string> Warnings, string Models, string Cache) Setup(string url, string? sha256 = null)
    {
        var warnings = new List<string>();
        var models = TestData.TempDir("models");
        var cache = TestData.TempDir("cache");
        var options = new InstallOptions
        {
            ModelsDirectory = models,
            CacheDirectory = cache,
            Url = url,
            Sha256 = sha256,
            Info = l => output.WriteLine("info: " + l),
            Warn = l => { lock (warnings) warnings.Add(l); output.WriteLine("warn: " + l); },
            Downloader = new ModelDownloader { RetryDelay = TimeSpan.Zero, Warn = l => { lock (warnings) warnings.Add(l); output.WriteLine("warn: " + l); } },
        };
        return (options, warnings, models, cache);
    }

    [Fact]
    public async Task GoodDownload_IsUnpackedVerifiedAndRegistered_ThenAlreadyInstalled()
    {
        var archive = Archive();
        using var server = new LoopbackHttpServer(archive);
        var url = server.Url("rtmdet_nano.zip");
        var (options, warnings, models, cache) = Setup(url);

        var result = await ModelInstaller.InstallAsync(Detector, options, CancellationToken.None);
        Assert.Equal(InstallOutcome.Installed, result.Outcome);
        var manifest = ModelManifest.Load(models);
        var e = manifest.Resolve("rtmdet-nano-obj365", ModelTask.Detector);
        Assert.Equal(Sha(File.ReadAllBytes(OnnxPath)), e.Sha256);
        Assert.Equal(new ModelInputSize(320, 320), e.Input);
        Assert.Equal("dets-nms-in-graph", e.Decoder);
        Assert.Equal("bgr", e.Colour);
        Assert.Contains(url, e.Origin);
        Assert.Contains(Sha(archive), e.Origin);
        manifest.ReadVerified(e);
        Assert.Contains("\"letterbox\": { \"align\": \"top-left\", \"pad\": 114 }", File.ReadAllText(Path.Combine(models, "models.json")));
        Assert.Equal(["models.json", "rtmdet_nano_obj365_320.onnx"], Directory.GetFiles(models).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // No published sha256: recorded on first download, with a warning; the archive stays in the cache.
        Assert.Contains(warnings, w => w.Contains("no published sha256", StringComparison.Ordinal));
        Assert.Contains(Sha(archive), File.ReadAllText(Path.Combine(cache, "known-sha256.json")));
        Assert.True(File.Exists(Path.Combine(cache, "rtmdet_nano.zip")));
        Assert.Equal(1, server.Requests);

        var again = await ModelInstaller.InstallAsync(Detector, options, CancellationToken.None);
        Assert.Equal(InstallOutcome.AlreadyInstalled, again.Outcome);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task CutOffDownload_IsResumedWithARangeRequest()
    {
        var archive = Archive();
        using var server = new LoopbackHttpServer(archive, ServeMode.TruncateFirst);
        var (options, warnings, models, _) = Setup(server.Url("a.zip"), Sha(archive));
        var result = await ModelInstaller.InstallAsync(Detector, options, CancellationToken.None);
        Assert.Equal(InstallOutcome.Installed, result.Outcome);
        Assert.Equal(["", $"bytes={archive.Length / 2}-"], server.Ranges.ToArray());
        Assert.Contains(warnings, w => w.Contains("resuming from byte", StringComparison.Ordinal));
        ModelManifest.Load(models).ReadVerified(result.Entry);
    }

    [Fact]
    public async Task CutOffDownload_FromAServerWithoutRanges_StartsAgainAndCompletes()
    {
        var archive = Archive();
        using var server = new LoopbackHttpServer(archive, ServeMode.NoRangeTruncateFirst);
        var (options, _, models, cache) = Setup(server.Url("a.zip"), Sha(archive));
        var result = await ModelInstaller.InstallAsync(Detector, options, CancellationToken.None);
        Assert.Equal(2, server.Requests);
        Assert.Equal(archive.Length, new FileInfo(Path.Combine(cache, "a.zip")).Length);
        ModelManifest.Load(models).ReadVerified(result.Entry);
    }

    [Fact]
    public async Task AlwaysCutOff_FailsClearlyAfterThreeTries_AndRegistersNothing()
    {
        var archive = Archive();
        using var server = new LoopbackHttpServer(archive, ServeMode.AlwaysTruncate);
        var (options, _, models, cache) = Setup(server.Url("a.zip"));
        var e = await Assert.ThrowsAsync<PoseTrackException>(() => ModelInstaller.InstallAsync(Detector, options, CancellationToken.None));
        output.WriteLine(e.Message);
        Assert.Contains("failed after 3 tries", e.Message);
        Assert.Contains("run the command again to resume", e.Message);
        Assert.Equal(3, server.Requests);
        Assert.Empty(Directory.GetFiles(models));
        // The partial file stays in the cache (not the models folder) for the next run to resume.
        Assert.Equal(["a.zip.part"], Directory.GetFiles(cache).Select(Path.GetFileName));

        // The next run resumes it from where it stopped.
        using var good = new LoopbackHttpServer(archive);
        var resumed = await ModelInstaller.InstallAsync(Detector, options with { Url = good.Url("a.zip") }, CancellationToken.None);
        Assert.Equal(InstallOutcome.Installed, resumed.Outcome);
        Assert.StartsWith("bytes=", Assert.Single(good.Ranges));
    }

    [Fact]
    public async Task WrongSha256_IsAClearError_NothingRegistered_TempFilesRemoved()
    {
        var archive = Archive();
        using var server = new LoopbackHttpServer(archive);
        var wrong = new string('0', 64);
        var (options, _, models, cache) = Setup(server.Url("a.zip"), wrong);
        var e = await Assert.ThrowsAsync<PoseTrackException>(() => ModelInstaller.InstallAsync(Detector, options, CancellationToken.None));
        output.WriteLine(e.Message);
        Assert.Contains($"sha256 {Sha(archive)}, expected {wrong}", e.Message);
        Assert.Empty(Directory.GetFiles(models));
        Assert.Empty(Directory.GetFiles(cache));
    }

    [Fact]
    public async Task RecordedSha256_ChecksLaterDownloads()
    {
        var archive = Archive();
        using var server = new LoopbackHttpServer(archive);
        var url = server.Url("a.zip");
        var (options, _, _, cache) = Setup(url);
        await ModelInstaller.InstallAsync(Detector, options, CancellationToken.None);

        // Later: the cached archive is gone and the address serves other bytes.
        File.Delete(Path.Combine(cache, "a.zip"));
        var changed = archive.ToArray();
        changed[^1] ^= 0xff;
        server.Body = changed;
        var models = TestData.TempDir("models");
        var e = await Assert.ThrowsAsync<PoseTrackException>(() =>
            ModelInstaller.InstallAsync(Detector, options with { ModelsDirectory = models }, CancellationToken.None));
        output.WriteLine(e.Message);
        Assert.Contains("known-sha256.json", e.Message);
        Assert.Empty(Directory.GetFiles(models));
        Assert.Equal(["known-sha256.json"], Directory.GetFiles(cache).Select(Path.GetFileName));

        // The original bytes again: verified against the record and installed.
        server.Body = archive;
        var ok = await ModelInstaller.InstallAsync(Detector, options with { ModelsDirectory = models }, CancellationToken.None);
        Assert.Equal(InstallOutcome.Installed, ok.Outcome);
    }

    [Fact]
    public async Task CompletePartialFile_GetsA416_AndIsFetchedAgain()
    {
        var archive = Archive();
        using var server = new LoopbackHttpServer(archive);
        var dest = Path.Combine(TestData.TempDir("cache"), "a.zip");
        File.WriteAllBytes(ModelDownloader.PartPath(dest), archive);
        var downloader = new ModelDownloader { RetryDelay = TimeSpan.Zero, Warn = output.WriteLine };
        var result = await downloader.DownloadAsync(new Uri(server.Url("a.zip")), dest, Sha(archive), null, CancellationToken.None);
        Assert.Equal([$"bytes={archive.Length}-", ""], server.Ranges.ToArray());
        Assert.Equal(Sha(archive), result.Sha256);
        Assert.False(File.Exists(ModelDownloader.PartPath(dest)));
    }

    [Fact]
    public async Task Cancelled_IsNotRetried()
    {
        using var server = new LoopbackHttpServer(Archive());
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var downloader = new ModelDownloader { RetryDelay = TimeSpan.Zero };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            downloader.DownloadAsync(new Uri(server.Url("a.zip")), Path.Combine(TestData.TempDir("cache"), "a.zip"), null, null, cts.Token));
        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public async Task NotFound_FailsAtOnce()
    {
        using var server = new LoopbackHttpServer([], ServeMode.NotFound);
        var (options, _, models, _) = Setup(server.Url("a.zip"));
        var e = await Assert.ThrowsAsync<PoseTrackException>(() => ModelInstaller.InstallAsync(Detector, options, CancellationToken.None));
        Assert.Contains("HTTP 404", e.Message);
        Assert.Equal(1, server.Requests);
        Assert.Empty(Directory.GetFiles(models));
    }

    [Fact]
    public async Task ArchiveWithoutOnnx_IsAClearError_AndIsNotKept()
    {
        using var server = new LoopbackHttpServer(Archive(withOnnx: false));
        var (options, _, models, cache) = Setup(server.Url("a.zip"));
        var e = await Assert.ThrowsAsync<PoseTrackException>(() => ModelInstaller.InstallAsync(Detector, options, CancellationToken.None));
        Assert.Contains("holds no .onnx file", e.Message);
        Assert.Empty(Directory.GetFiles(models));
        Assert.DoesNotContain(Directory.GetFiles(cache), f => f.EndsWith(".zip", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]   // an entry that cannot be checked (no sha256 in models.json) is not replaced silently either
    public async Task ADifferentModelOfTheSameName_NeedsForce_AndIsRefusedBeforeAnyDownload(bool withSha256)
    {
        var models = ModelsTestUtil.CopyModels(manifestOnly: true);
        ManifestWriter.Upsert(models, ManifestWriter.ToJson(new ModelEntry
        {
            Name = "rtmdet-nano-obj365", File = "other.onnx", Sha256 = withSha256 ? Sha([9]) : "", Task = "detector", Input = new ModelInputSize(8, 8), Origin = "mine",
        }));
        File.WriteAllBytes(Path.Combine(models, "other.onnx"), [9]);
        using var server = new LoopbackHttpServer(Archive());
        var (options, _, _, _) = Setup(server.Url("a.zip"));
        options = options with { ModelsDirectory = models };
        var e = await Assert.ThrowsAsync<PoseTrackException>(() => ModelInstaller.InstallAsync(Detector, options, CancellationToken.None));
        Assert.Contains("--force", e.Message);
        Assert.Equal(0, server.Requests);

        var forced = await ModelInstaller.InstallAsync(Detector, options with { Force = true }, CancellationToken.None);
        Assert.Equal(InstallOutcome.Replaced, forced.Outcome);
        var entry = ModelManifest.Load(models).Resolve("rtmdet-nano-obj365", ModelTask.Detector);
        Assert.Equal("rtmdet_nano_obj365_320.onnx", entry.File);
        Assert.Equal(ModelsTestUtil.ShippedCount + 1, ModelManifest.Load(models).Models.Count);
    }

    [Fact]
    public void Cli_InstallsFromTheLoopbackServer_AndReportsAWrongSha256()
    {
        var archive = Archive();
        using var server = new LoopbackHttpServer(archive, ServeMode.TruncateFirst);
        var models = TestData.TempDir("models");
        var cache = TestData.TempDir("cache");
        var r = CliProcess.Run(models, "models", "install", "rtmdet-nano-obj365", "--url", server.Url("x.zip"), "--models", models, "--cache", cache);
        output.WriteLine(r.Stdout + r.Stderr);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("installed rtmdet-nano-obj365", r.Stdout);
        Assert.Contains("posetrack: warning:", r.Stderr); // resumed, and no published sha256
        Assert.Equal(0, CliProcess.Run(models, "models", "verify", "--models", models).ExitCode);

        var again = CliProcess.Run(models, "models", "install", "rtmdet-nano-obj365", "--url", server.Url("x.zip"), "--models", models, "--cache", cache);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("already installed", again.Stdout);

        var fresh = TestData.TempDir("models");
        var bad = CliProcess.Run(fresh, "models", "install", "rtmdet-nano-obj365", "--url", server.Url("y.zip"), "--sha256", new string('1', 64),
            "--models", fresh, "--cache", TestData.TempDir("cache"));
        output.WriteLine(bad.Stderr);
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith("posetrack: error: download of", bad.Stderr.Split('\n').Single(l => l.StartsWith("posetrack: error", StringComparison.Ordinal)));
        Assert.Empty(Directory.GetFiles(fresh));
    }
}
