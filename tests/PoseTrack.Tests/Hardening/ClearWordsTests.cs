using System.Diagnostics;
using PoseTrack.Benchmark;
using PoseTrack.Cli;
using PoseTrack.Core;
using PoseTrack.Detection;
using PoseTrack.Inference;
using PoseTrack.Pipeline;
using PoseTrack.Pose;
using PoseTrack.Reporting;
using PoseTrack.Sinks;
using static PoseTrack.Tests.Hardening.HardeningCli;

namespace PoseTrack.Tests.Hardening;

/// <summary>Issue 14 item 10, "clear words, never a trace": every failure is one line in words, nothing else.</summary>
public sealed class ClearWordsTests
{
    private static string Vtest => TestData.Shared("data", "video", "vtest_10s.mp4");

    /// <summary>Runs ffmpeg (installed by scripts/setup.sh) to make odd test media in <paramref name="dir"/>.</summary>
    private static string Ffmpeg(string dir, string name, params string[] args)
    {
        var r = CliProcess.RunProgram("ffmpeg", ["-v", "error", "-y", .. args, name], TimeSpan.FromMinutes(1), dir);
        Assert.True(r.ExitCode == 0, $"ffmpeg failed: {r.Stderr}");
        return Path.Combine(dir, name);
    }

    // ---- 1. closed stdout ----

    [Fact]
    public async Task StdoutPipeClosedEarly_RunCompletesItsOutputs_AndExitsNormally()
    {
        var dir = TestData.TempDir();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "PoseTrack.Cli.dll"), "--input", Vtest, "--max-frames", "5", "--json", "o.jsonl", "--output", "o.mp4" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardOutput.Close();   // the reader goes away, as with `| head -c0`
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var err = await p.StandardError.ReadToEndAsync(timeout.Token);
        await p.WaitForExitAsync(timeout.Token);
        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}: {err}");
        Assert.DoesNotContain("Unhandled", err);
        Assert.DoesNotContain("exception", err, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(5, JsonLinesReader.ReadAll(Path.Combine(dir, "o.jsonl")).Frames.Count);
        Assert.Equal(5, VideoProbe.Frames(Path.Combine(dir, "o.mp4")));
    }

    [Fact]
    public void StartedWithStdoutAndStdinClosed_RunCompletesItsOutputs_AndExitsNormally()
    {
        var dir = TestData.TempDir();
        var r = CliProcess.RunProgram("bash",
            ["-c", "exec dotnet \"$@\" >&- <&-", "bash", Path.Combine(AppContext.BaseDirectory, "PoseTrack.Cli.dll"),
             "--input", Vtest, "--max-frames", "5", "--json", "o.jsonl", "-q"], TimeSpan.FromMinutes(2), dir);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Empty(ErrLines(r));
        var content = JsonLinesReader.ReadAll(Path.Combine(dir, "o.jsonl"));
        Assert.Equal(5, content.Frames.Count);
        Assert.False(content.PartialLastLine);
    }

    // ---- 2. audio only ----

    [Theory]
    [InlineData("a.m4a")]
    [InlineData("a.mp3")]
    [InlineData("a.wav")]
    public void AudioOnlyFile_SaysItHasNoVideoStream(string name)
    {
        var dir = TestData.TempDir();
        Ffmpeg(dir, name, "-f", "lavfi", "-i", "sine=d=2");
        AssertOneErrorLine(Run(dir, "--input", name, "--json", "o.jsonl", "-q"), name, "has no video stream");
        Assert.False(File.Exists(Path.Combine(dir, "o.jsonl")));
    }

    [Fact]
    public void AudioOnlySniff_KeepsVideoFilesApart()
    {
        var dir = TestData.TempDir();
        var video = Ffmpeg(dir, "v.mp4", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5:d=1", "-f", "lavfi", "-i", "sine=d=1", "-c:v", "mpeg4", "-shortest");
        Assert.False(PoseTrack.Sources.AudioOnlyMedia.Is(video));
        Assert.False(PoseTrack.Sources.AudioOnlyMedia.Is(Vtest));
        Assert.True(PoseTrack.Sources.AudioOnlyMedia.Is(Ffmpeg(dir, "a.mkv", "-f", "lavfi", "-i", "sine=d=1")));
    }

    // ---- 3. negative camera ----

    [Fact]
    public void NegativeCamera_NamesTheCameraIndex()
    {
        var dir = TestData.TempDir();
        AssertOneErrorLine(Run(dir, "--camera", "-1", "--json", "o.jsonl", "-q"), "--camera: -1 is not a camera index (0 or more)");
    }

    // ---- 4. parse errors in words ----

    [Theory]
    [InlineData("--max-frames", "abc", "--max-frames: 'abc' is not a whole number")]     // long?
    [InlineData("--max-age", "1.5", "--max-age: '1.5' is not a whole number")]           // int?
    [InlineData("--det-every", "x", "--det-every: 'x' is not a whole number")]           // int
    [InlineData("--det-threshold", "high", "--det-threshold: 'high' is not a number")]  // float
    [InlineData("--start", "soon", "--start: 'soon' is not a number")]                   // double
    [InlineData("--camera", "front", "--camera: 'front' is not a whole number")]         // int?
    public void ParseError_NamesTheOptionAndWhatItWants(string option, string value, string expected)
    {
        var r = Run(TestData.TempDir(), "--input", "x.mp4", option, value);
        Assert.Equal(2, r.ExitCode);
        var lines = ErrLines(r);
        Assert.Equal($"posetrack: error: {expected}", lines[0]);
        Assert.DoesNotContain("System.", r.Stderr);
    }

    [Theory]
    [InlineData("bench", "--frames", "many", "--frames: 'many' is not a whole number")]
    [InlineData("bench", "--checkpoint", "1e3", "--checkpoint: '1e3' is not a whole number")]
    [InlineData("report", "--switch-box-heights", "far", "--switch-box-heights: 'far' is not a number")]
    [InlineData("track", "--threads", "two", "--threads: 'two' is not a whole number")]
    public void ParseError_InEveryCommand_IsInWords(string command, string option, string value, string expected)
    {
        var r = Run(TestData.TempDir(), command, option, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"posetrack: error: {expected}", r.Stderr);
        Assert.DoesNotContain("System.", r.Stderr);
        Assert.DoesNotContain("Cannot parse", r.Stderr);
    }

    [Theory]
    [InlineData("Cannot parse argument 'x' for option '--n' as expected type 'System.Nullable`1[System.Int32]'.", "--n: 'x' is not a whole number")]
    [InlineData("Cannot parse argument 'x' for option '--f' as expected type 'System.Single'.", "--f: 'x' is not a number")]
    [InlineData("Cannot parse argument 'x' for option '--b' as expected type 'System.Boolean'.", "--b: 'x' is not true or false")]
    [InlineData("Unrecognized command or argument 'zz'.", "Unrecognized command or argument 'zz'.")]
    public void ParseErrors_Describe(string message, string expected) => Assert.Equal(expected, ParseErrors.Describe(message));

    // ---- 5. no native log lines ----

    [Fact]
    public void BadInputs_GiveOnlyOurLine_NoNativeLogLines()
    {
        var dir = TestData.TempDir();
        File.WriteAllBytes(Path.Combine(dir, "noise.onnx"), [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 37 % 251))]);
        var model = File.ReadAllBytes(Path.Combine(TestData.ModelsDir, "rtmdet_nano_person_320.onnx"));
        File.WriteAllBytes(Path.Combine(dir, "cut.onnx"), model[..(model.Length / 3)]);
        var video = File.ReadAllBytes(Vtest);
        File.WriteAllBytes(Path.Combine(dir, "head.mp4"), video[..4000]);
        File.WriteAllBytes(Path.Combine(dir, "cut.mp4"), video[..(video.Length / 4)]);
        AssertOneErrorLine(Run(dir, "--input", Vtest, "--json", "a.jsonl", "--pose-model", "noise.onnx", "-q"), "noise");
        AssertOneErrorLine(Run(dir, "--input", Vtest, "--json", "b.jsonl", "--detector", "cut.onnx", "-q"), "cut");
        AssertOneErrorLine(Run(dir, "--input", "head.mp4", "--json", "c.jsonl", "-q"), "head.mp4");
        AssertOneErrorLine(Run(dir, "--input", "cut.mp4", "--json", "d.jsonl", "-q"), "cut.mp4", "stopped at frame");
    }

    // ---- 6. odd frame sizes ----

    [Theory]
    [InlineData("o.mp4")]
    [InlineData("o.avi")]
    public void OddSizedInput_TheJsonHeaderStatesTheVideoSizeWritten(string output)
    {
        var dir = TestData.TempDir();
        Ffmpeg(dir, "odd.mkv", "-f", "lavfi", "-i", "testsrc=size=321x241:rate=10:d=1", "-c:v", "mpeg4");
        var r = Run(dir, "--input", "odd.mkv", "--output", output, "--json", "o.jsonl", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var written = VideoProbe.Read(Path.Combine(dir, output));
        var header = JsonLinesReader.ReadAll(Path.Combine(dir, "o.jsonl")).Header;
        Assert.Equal((321, 241), (header.Width, header.Height));
        // OpenCV's FFmpeg writer drops the odd column and row; the header says so instead of claiming the input's size.
        Assert.Equal((written.Width, written.Height), header.VideoSize);
        Assert.Equal((320, 240), header.VideoSize);
        Assert.Equal(10, written.DecodedFrames);
    }

    [Fact]
    public void EvenSizedInput_VideoHasTheInputSize_AndTheHeaderSaysSo()
    {
        var dir = TestData.TempDir();
        var r = Run(dir, "--input", Vtest, "--max-frames", "3", "--output", "o.mp4", "--json", "o.jsonl", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var written = VideoProbe.Read(Path.Combine(dir, "o.mp4"));
        var header = JsonLinesReader.ReadAll(Path.Combine(dir, "o.jsonl")).Header;
        Assert.Equal((header.Width, header.Height), (written.Width, written.Height));
        Assert.Equal((written.Width, written.Height), header.VideoSize);
        // Without a video the header does not mention one.
        Assert.True(Run(dir, "--input", Vtest, "--max-frames", "1", "--json", "p.jsonl", "-q").ExitCode == 0);
        Assert.Null(JsonLinesReader.ReadAll(Path.Combine(dir, "p.jsonl")).Header.VideoSize);
    }

    // ---- 7. samples ----

    [Theory]
    [InlineData("LibraryUsage", "missing.jpg")]
    [InlineData("VideoToJson", "missing.mp4", "o.jsonl")]
    [InlineData("WebcamDemo", "missing.mp4")]
    public void Samples_GiveOneLine_NotAStackTrace(string sample, params string[] args)
    {
        var dll = Path.Combine(TestData.RepoRoot, "samples", sample, "bin", "Release", "net10.0", sample + ".dll");
        Assert.True(File.Exists(dll), $"{dll} is not built (dotnet build PoseTrack.sln -c Release)");
        var r = CliProcess.RunProgram("dotnet", [dll, .. args], TimeSpan.FromMinutes(2), TestData.TempDir());
        Assert.Equal(2, r.ExitCode);
        var lines = ErrLines(r);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains("missing", lines[0]);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    // ---- 8. library messages name properties, the CLI names flags ----

    [Fact]
    public void LibraryMessages_NameTheProperty_NotAFlag()
    {
        var start = Assert.Throws<PoseTrackException>(() => new PipelineOptions { StartSeconds = -1 }.Validate());
        Assert.StartsWith("StartSeconds must be 0 or more", start.Message);
        var every = Assert.Throws<PoseTrackException>(() => new PipelineOptions { DetectEvery = 0 }.Validate());
        Assert.StartsWith("DetectEvery must be at least 1", every.Message);
        var jump = Assert.Throws<PoseTrackException>(() => new ReportOptions { JumpBoxHeights = 0 }.Validate());
        Assert.StartsWith("JumpBoxHeights must be more than 0", jump.Message);
        var loop = Assert.Throws<PoseTrackException>(() => new BenchmarkOptions { Input = "v.mp4", Loop = true }.Validate());
        Assert.StartsWith("Loop needs Frames", loop.Message);
        foreach (var e in new[] { start, every, jump, loop }) Assert.DoesNotContain("--", e.Message);
    }

    [Fact]
    public void CliMessages_StillNameTheFlag()
    {
        var dir = TestData.TempDir();
        AssertOneErrorLine(Run(dir, "--input", "x.mp4", "--start", "-1", "--json", "a.jsonl", "-q"), "--start must be 0 or more");
        AssertOneErrorLine(Run(dir, "--input", "x.mp4", "--channel-capacity", "0", "--json", "a.jsonl", "-q"), "--channel-capacity must be at least 1");
        AssertOneErrorLine(Run(dir, "bench", "--input", "x.mp4", "--loop", "-q"), "--loop needs --frames");
    }

    [Fact]
    public void EstimatorOptions_RejectNaN_NamingTheProperty()
    {
        var det = Assert.Throws<PoseTrackException>(() => PoseEstimator.Create(new PoseEstimatorOptions { Detection = new DetectorOptions(ScoreThreshold: float.NaN) }));
        Assert.Contains("DetectorOptions.ScoreThreshold", det.Message);
        var box = Assert.Throws<PoseTrackException>(() => new DetectorOptions(MinBoxSize: float.NaN).Validate());
        Assert.Contains("DetectorOptions.MinBoxSize", box.Message);
        var pad = Assert.Throws<PoseTrackException>(() => PoseEstimator.Create(new PoseEstimatorOptions { Pose = new PoseOptions(Padding: float.NaN) }));
        Assert.Contains("PoseOptions.Padding", pad.Message);
        var nms = Assert.Throws<PoseTrackException>(() => new PoseOptions(NmsThreshold: float.NaN).Validate());
        Assert.Contains("PoseOptions.NmsThreshold", nms.Message);
        var threads = Assert.Throws<PoseTrackException>(() => PoseEstimator.Create(new PoseEstimatorOptions { Inference = new InferenceOptions(IntraOpThreads: -1) }));
        Assert.Contains("InferenceOptions.IntraOpThreads", threads.Message);
        var draw = Assert.Throws<PoseTrackException>(() => new PipelineOptions { DrawScoreThreshold = float.NaN }.Validate());
        Assert.Contains("DrawScoreThreshold", draw.Message);
        new DetectorOptions().Validate();
        new PoseOptions().Validate();
        new InferenceOptions().Validate();
    }

    // ---- 9. image on a folder: see Cli/CliTests.Image_OnAFolderWithANonImage_WarnsSkipsItDoesTheRestAndExitsZero ----

    [Fact]
    public void Image_OnAFolderWithNoImageAtAll_IsOneError()
    {
        var dir = TestData.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "in"));
        File.WriteAllText(Path.Combine(dir, "in", "notes.txt"), "no image");
        var r = Run(dir, "image", "in", "-q");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(ErrLines(r), l => l.StartsWith("posetrack: error: folder has no readable images", StringComparison.Ordinal));
    }

    // ---- 10. quitting the preview window ----

    [Fact]
    public void PreviewQuit_IsANormalEnd_CtrlCIsAnInterruption()
    {
        Assert.True(PreviewWindowSink.IsQuitKey('q'));
        Assert.True(PreviewWindowSink.IsQuitKey('Q'));
        Assert.True(PreviewWindowSink.IsQuitKey(27));
        Assert.False(PreviewWindowSink.IsQuitKey('a'));
        Assert.Equal(0, CliErrors.ForStop(stopped: true, quitInWindow: true));
        Assert.Equal(130, CliErrors.ForStop(stopped: true, quitInWindow: false));
        Assert.Equal(0, CliErrors.ForStop(stopped: false, quitInWindow: false));
    }
}
