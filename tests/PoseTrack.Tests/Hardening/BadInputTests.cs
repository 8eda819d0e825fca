using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenCvSharp;
using PoseTrack.Sinks;
using static PoseTrack.Tests.Hardening.HardeningCli;

namespace PoseTrack.Tests.Hardening;

/// <summary>
/// The bad-input matrix of the main command (rows not already in Cli/CliTests.cs): each bad input gets exit code 2
/// and one line <c>posetrack: error: …</c> on stderr, and whatever was produced before the fault stays on disk.
/// </summary>
public sealed class BadInputTests
{
    private static string Demo => TestData.Shared("data", "video", "mmpose_demo.mp4");

    private static int VideoFrames(string path) => VideoProbe.Frames(path);

    private static void AssertEveryLineParses(string path)
    {
        var text = File.ReadAllText(path);
        Assert.EndsWith("\n", text);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries)) using (JsonDocument.Parse(line)) { }
    }

    // ---- inputs ----

    [Fact]
    public void VideoWithACorruptChunkInTheMiddle_WritesTheFramesBefore_SaysWhereItStopped_ExitsNonZero()
    {
        var dir = TestData.TempDir();
        var bytes = File.ReadAllBytes(TestData.Shared("data", "video", "vtest_10s.mp4"));
        // Overwrite a sixth of the file in the middle (the index at the start stays intact).
        Array.Clear(bytes, bytes.Length / 2, bytes.Length / 6);
        File.WriteAllBytes(Path.Combine(dir, "mid.mp4"), bytes);
        var r = Run(dir, "--input", "mid.mp4", "--json", "o.jsonl", "--output", "o.mp4", "-q");
        var line = AssertOneErrorLine(r, "mid.mp4", "stopped at frame");
        var content = JsonLinesReader.ReadAll(Path.Combine(dir, "o.jsonl"));
        int n = content.Frames.Count;
        Assert.InRange(n, 10, 99);
        Assert.Contains($"stopped at frame {n} of 100", line);
        Assert.False(content.PartialLastLine);
        AssertEveryLineParses(Path.Combine(dir, "o.jsonl"));
        Assert.Equal(n, VideoFrames(Path.Combine(dir, "o.mp4")));
        Assert.Contains($"frames={n} ", r.Stdout);
    }

    [Fact]
    public void ImageFolderWithNonImageFiles_SkipsAndReportsThem_AndProcessesTheRest()
    {
        var dir = TestData.TempDir();
        var images = Path.Combine(dir, "frames");
        Directory.CreateDirectory(images);
        File.Copy(TestData.Shared("data", "coco", "000000000785.jpg"), Path.Combine(images, "000001.jpg"));
        File.Copy(TestData.Shared("data", "coco", "000000000785.jpg"), Path.Combine(images, "000003.jpg"));
        File.WriteAllText(Path.Combine(images, "000002.jpg"), "not an image");
        File.WriteAllText(Path.Combine(images, "notes.txt"), "frames of a test");
        var r = Run(dir, "--input", images, "--json", "o.jsonl", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var warnings = ErrLines(r);
        Assert.Equal(2, warnings.Count);
        Assert.Contains(warnings, l => l.Contains("000002.jpg", StringComparison.Ordinal) && l.Contains("not an image", StringComparison.Ordinal));
        Assert.Contains(warnings, l => l.Contains("notes.txt", StringComparison.Ordinal));
        Assert.DoesNotContain("error", r.Stderr, StringComparison.OrdinalIgnoreCase);
        var content = JsonLinesReader.ReadAll(Path.Combine(dir, "o.jsonl"));
        Assert.Equal(2, content.Frames.Count);
        Assert.All(content.Frames, f => Assert.NotEmpty(f.Persons));
    }

    [Fact]
    public void UnopenableCamera_IsOneLineNamingIt_AndWritesNothing()
    {
        var dir = TestData.TempDir();
        var r = Run(dir, "--camera", "7", "--json", "o.jsonl", "-q");
        AssertOneErrorLine(r, "camera 7 cannot be opened");
        Assert.False(File.Exists(Path.Combine(dir, "o.jsonl")));
    }

    [Fact]
    public void UnreachableStream_FailsFast_WithOneLine()
    {
        // "Fast" is the refusal itself, not a wait for the 10 s stream timeout (a wall-clock bound on a whole process
        // run would be flaky on a busy machine).
        var dir = TestData.TempDir();
        var r = Run(dir, "--input", "http://127.0.0.1:9/x", "--json", "o.jsonl", "-q");
        AssertOneErrorLine(r, "http://127.0.0.1:9/x", "connection refused");
        Assert.False(File.Exists(Path.Combine(dir, "o.jsonl")));
    }

    // ---- models ----

    [Fact]
    public void ModelFileMissing_NamesTheFile()
    {
        var dir = TestData.TempDir();
        var models = CopyModels(dir);
        File.Delete(Path.Combine(models, "rtmdet_nano_person_320.onnx"));
        var r = Run(dir, "--input", Demo, "--models", models, "--json", "o.jsonl", "-q");
        AssertOneErrorLine(r, "model file not found", "rtmdet_nano_person_320.onnx");
        Assert.False(File.Exists(Path.Combine(dir, "o.jsonl")));
    }

    [Theory]
    [InlineData("rtmdet-nano", "rtmdet_nano_person_320.onnx")]
    [InlineData("movenet-lightning", "movenet_singlepose_lightning_192.onnx")]  // the default pose model
    public void NonOnnxFileWithAMatchingChecksum_NamesTheModel(string name, string file)
    {
        var dir = TestData.TempDir();
        var models = CopyModels(dir);
        var garbage = new byte[5000];
        new Random(8).NextBytes(garbage);
        File.WriteAllBytes(Path.Combine(models, file), garbage);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(models, "models.json")))!;
        foreach (var m in manifest["models"]!.AsArray())
            if ((string?)m!["name"] == name) m["sha256"] = Convert.ToHexStringLower(SHA256.HashData(garbage));
        File.WriteAllText(Path.Combine(models, "models.json"), manifest.ToJsonString());
        var r = Run(dir, "--input", Demo, "--models", models, "--json", "o.jsonl", "-q");
        AssertOneErrorLine(r, $"model {name} cannot be loaded");
        Assert.False(File.Exists(Path.Combine(dir, "o.jsonl")));
    }

    [Fact]
    public void ModelsFolderMissing_IsOneLine()
    {
        var dir = TestData.TempDir();
        var r = Run(dir, "--input", Demo, "--models", "/nonexistent", "--json", "o.jsonl", "-q");
        AssertOneErrorLine(r, "models folder not found", "/nonexistent");
    }

    [Theory]
    [InlineData("{ \"version\": 1, \"models\": [ {\"name\": ")]                        // cut JSON
    [InlineData("[1, 2, 3]")]                                                           // wrong shape
    [InlineData("{ \"version\": 1, \"models\": [] }")]                                  // no models
    [InlineData("{ \"models\": [ { \"name\": \"x\", \"file\": \"x.onnx\", \"task\": \"pose\", \"input\": { \"width\": 0, \"height\": 0 } } ] }")]
    [InlineData("")]
    public void MalformedModelsJson_IsOneLineNamingTheManifest(string text)
    {
        var dir = TestData.TempDir();
        var models = CopyModels(dir);
        File.WriteAllText(Path.Combine(models, "models.json"), text);
        var r = Run(dir, "--input", Demo, "--models", models, "--json", "o.jsonl", "-q");
        AssertOneErrorLine(r, "model manifest", "models.json");
    }

    [Fact]
    public void EmptyModelsOption_IsOneLine()
    {
        var dir = TestData.TempDir();
        AssertOneErrorLine(Run(dir, "--input", Demo, "--models", "", "--json", "o.jsonl", "-q"), "models folder");
    }

    // ---- options ----

    [Fact]
    public void InputAndCameraTogether_AreRejected()
    {
        var dir = TestData.TempDir();
        AssertOneErrorLine(Run(dir, "--input", Demo, "--camera", "0", "--json", "o.jsonl", "-q"), "--input", "--camera");
        Assert.False(File.Exists(Path.Combine(dir, "o.jsonl")));
    }

    [Fact]
    public void TrackWithNoOutputs_IsRejected()
    {
        var dir = TestData.TempDir();
        AssertOneErrorLine(Run(dir, "track", "--input", Demo, "-q"), "--mot", "--posetrack", "--json");
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Theory]
    [InlineData("--match-threshold", "-1")]
    [InlineData("--kp-threshold", "2")]
    [InlineData("--max-age", "-3")]
    [InlineData("--channel-capacity", "0")]
    [InlineData("--fps", "0")]
    [InlineData("--start", "-1")]
    [InlineData("--pose-nms", "2")]
    [InlineData("--oks-weight", "1.5")]
    [InlineData("--iou-threshold", "NaN")]
    [InlineData("--smooth-min-cutoff", "0")]
    [InlineData("--smooth-beta", "-1")]
    [InlineData("--smooth-d-cutoff", "Infinity")]
    [InlineData("--max-frames", "0")]
    [InlineData("--threads", "-2")]
    [InlineData("--min-box", "-1")]
    [InlineData("--fps", "Infinity")]
    [InlineData("--det-every", "99999999999")]
    [InlineData("--drop-frames", "sometimes")]
    [InlineData("--smooth", "maybe")]
    [InlineData("--centre-prior", "sideways")]
    [InlineData("--json", "")]
    public void OutOfRangeValues_AreOneLineNamingTheOption_BeforeAnyWork(string option, string value)
    {
        var dir = TestData.TempDir();
        var args = option == "--json" ? new[] { "--input", Demo, option, value, "-q" } : ["--input", Demo, option, value, "--json", "o.jsonl", "-q"];
        var r = Run(dir, args);
        // System.CommandLine's own parse errors (a value that is not a number) add a hint line after the error.
        var lines = ErrLines(r);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("posetrack: error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(option, lines[0], StringComparison.Ordinal);
        Assert.True(lines.Count == 1 || (lines.Count == 2 && lines[1].StartsWith("Run 'posetrack --help'", StringComparison.Ordinal)), r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void StartPastTheEnd_IsAnError()
    {
        var dir = TestData.TempDir();
        AssertOneErrorLine(Run(dir, "--input", Demo, "--start", "100", "--json", "o.jsonl", "-q"), "--start", "past the end");
    }
}
