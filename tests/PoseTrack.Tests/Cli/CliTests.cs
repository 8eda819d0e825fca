using System.Text.Json;

namespace PoseTrack.Tests.Cli;

/// <summary>The posetrack command as a user runs it: exit codes, one-line errors, files written.</summary>
public sealed class CliTests
{
    [Fact]
    public void MainJob_WithNoOutputOptions_WritesOutMp4AndOutJsonlInTheCurrentDirectory()
    {
        var dir = TestData.TempDir();
        var r = CliProcess.Run(dir, "--input", TestData.Shared("data", "video", "mmpose_demo.mp4"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(File.Exists(Path.Combine(dir, "out.mp4")));
        var lines = TestData.LogLines(Path.Combine(dir, "out.jsonl"));
        Assert.Equal(6, lines.Length); // header + 5 frames (+ the closing summary, left out)
        Assert.Contains("frames=5", r.Stdout); // machine-readable summary when redirected
        Assert.DoesNotContain("Exception", r.Stderr);
    }

    [Fact]
    public void Start_SkipsToTheTime_AndGivesTheSameFramesAsAFullRun()
    {
        // The file is sought to shortly before 5 s, then read up to it: frame 0 of the log is the frame at 5.0 s.
        var dir = TestData.TempDir();
        var video = TestData.Shared("data", "video", "vtest_10s.mp4");
        // The track lifecycle is off in both runs: a run from 5 s has no tracks yet, so its first frames would hold
        // only the persons confirmed at once; with it off every detected person is written, frame for frame.
        string[] everyPerson = ["--confirm-hits", "1", "--start-score", "0", "--plausible-joints", "0"];
        var r = CliProcess.Run(dir, ["--input", video, "--start", "5", "--json", "start.jsonl", "-q", .. everyPerson]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        r = CliProcess.Run(dir, ["--input", video, "--json", "full.jsonl", "-q", .. everyPerson]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var start = PoseTrack.Sinks.JsonLinesReader.ReadAll(Path.Combine(dir, "start.jsonl")).Frames;
        var full = PoseTrack.Sinks.JsonLinesReader.ReadAll(Path.Combine(dir, "full.jsonl")).Frames;
        Assert.Equal(50, start.Count);
        Assert.Equal(5000, start[0].TimeMs);
        Assert.Equal(full.Skip(50).Select(f => f.TimeMs), start.Select(f => f.TimeMs));
        Assert.Equal(full.Skip(50).Select(f => f.Persons.Count), start.Select(f => f.Persons.Count));
    }

    [Fact]
    public void Track_WritesMotAndPoseTrackExports_AndEvalMotReadsThem()
    {
        var dir = TestData.TempDir();
        var video = TestData.Shared("data", "tracking", "TUD-Campus", "TUD-Campus.mp4");
        var r = CliProcess.Run(dir, "track", "--input", video, "--mot", "hyp.txt", "--posetrack", "pt.json", "--max-frames", "20", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var mot = File.ReadAllLines(Path.Combine(dir, "hyp.txt"));
        Assert.NotEmpty(mot);
        Assert.All(mot, l => Assert.Equal(10, l.Split(',').Length));
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "pt.json"))))
            Assert.Equal(20, doc.RootElement.GetProperty("images").GetArrayLength());
        var eval = CliProcess.Run(dir, "eval", "mot", "--gt", TestData.Shared("data", "tracking", "TUD-Campus", "gt", "gt.txt"), "--hyp", "hyp.txt");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.StartsWith("MOTA=", eval.Stdout.Trim().Split('\n')[^1]);
    }

    [Fact]
    public void EvalCoco_ReproducesTheReferenceApWithGroundTruthBoxes()
    {
        var dir = TestData.TempDir();
        var coco = TestData.Shared("data", "coco");
        var r = CliProcess.Run(dir, "eval", "coco", "--annotations", Path.Combine(coco, "test_coco.json"), "--images", coco, "--gt-boxes", "--results", "res.json", "--pose-model", "simplepose-nano", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var last = r.Stdout.Trim().Split('\n')[^1];
        Assert.Equal("AP=0.594", last.Trim());
        Assert.True(File.Exists(Path.Combine(dir, "res.json")));
    }

    [Fact]
    public void Image_OnAFolderWithANonImage_WarnsSkipsItDoesTheRestAndExitsZero()
    {
        var dir = TestData.TempDir();
        var images = Path.Combine(dir, "in");
        Directory.CreateDirectory(images);
        File.Copy(TestData.Shared("data", "coco", "000000000785.jpg"), Path.Combine(images, "a.jpg"));
        File.WriteAllText(Path.Combine(images, "b.jpg"), "not an image");
        File.WriteAllText(Path.Combine(images, "notes.txt"), "not an image either");
        var r = CliProcess.Run(dir, "image", images, "--output", "drawn", "--json", "poses.json", "-q");
        // As track does for image folders: one warning line per skipped file, exit 0.
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("posetrack: warning: ", StringComparison.Ordinal) && l.Contains("b.jpg", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("posetrack: warning: ", StringComparison.Ordinal) && l.Contains("notes.txt", StringComparison.Ordinal));
        Assert.DoesNotContain("error", r.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.True(File.Exists(Path.Combine(dir, "drawn", "a.jpg")));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "poses.json")));
        var persons = doc.RootElement.GetProperty("images")[0].GetProperty("persons");
        Assert.True(persons.GetArrayLength() >= 1);
        Assert.Equal(17, persons[0].GetProperty("keypoints").GetArrayLength());
    }

    [Fact]
    public void Image_NeverDrawsOverItsInput()
    {
        var dir = TestData.TempDir();
        var images = Path.Combine(dir, "in");
        Directory.CreateDirectory(images);
        var original = Path.Combine(images, "a.jpg");
        File.Copy(TestData.Shared("data", "coco", "000000000785.jpg"), original);
        var bytes = File.ReadAllBytes(original);

        var file = CliProcess.Run(dir, "image", original, "--output", original, "-q");
        var folder = CliProcess.Run(dir, "image", images, "--output", images, "-q");
        foreach (var r in new[] { file, folder })
        {
            Assert.Equal(2, r.ExitCode);
            Assert.StartsWith("posetrack: error: ", r.Stderr, StringComparison.Ordinal);
        }
        Assert.Contains("the same file", file.Stderr);
        Assert.Contains("input folder", folder.Stderr);
        Assert.Equal(bytes, File.ReadAllBytes(original));
        Assert.Equal(["a.jpg"], Directory.GetFiles(images).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("missing.mp4", "not found")]
    [InlineData("empty.mp4", "empty")]
    [InlineData("text.mp4", "not a video")]
    public void BadVideoInput_GivesOneClearLineAndExitCode2(string name, string expected)
    {
        var dir = TestData.TempDir();
        File.WriteAllBytes(Path.Combine(dir, "empty.mp4"), []);
        File.WriteAllText(Path.Combine(dir, "text.mp4"), "hello, this is not a video\n");
        var r = CliProcess.Run(dir, "--input", name, "--json", "o.jsonl");
        Assert.Equal(2, r.ExitCode);
        var errorLines = r.Stderr.Split('\n').Where(l => l.StartsWith("posetrack: error:", StringComparison.Ordinal)).ToList();
        Assert.Single(errorLines);
        Assert.Contains(expected, errorLines[0], StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void TruncatedVideo_WritesWhatCanBeRead_SaysWhereItStopped_AndExitsNonZero()
    {
        var dir = TestData.TempDir();
        var bytes = File.ReadAllBytes(TestData.Shared("data", "video", "vtest_10s.mp4"));
        File.WriteAllBytes(Path.Combine(dir, "half.mp4"), bytes[..(bytes.Length / 2)]);
        var r = CliProcess.Run(dir, "--input", "half.mp4", "--json", "o.jsonl", "-q");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("stopped at frame", r.Stderr);
        var lines = File.ReadAllLines(Path.Combine(dir, "o.jsonl"));
        Assert.True(lines.Length > 10, $"{lines.Length} lines");
        foreach (var l in lines) using (JsonDocument.Parse(l)) { }
    }

    [Theory]
    [InlineData("--det-every", "0", "--det-every")]
    [InlineData("--device", "quantum", "--device")]
    [InlineData("--det-threshold", "-1", "--det-threshold")]
    [InlineData("--tracker", "magic", "--tracker")]
    public void OutOfRangeOptions_AreRejectedBeforeAnyWork(string option, string value, string named)
    {
        var dir = TestData.TempDir();
        var r = CliProcess.Run(dir, "--input", TestData.Shared("data", "video", "mmpose_demo.mp4"), option, value, "--json", "o.jsonl");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(named, r.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "o.jsonl")));
    }

    [Fact]
    public void MissingOutputFolder_AndSamePathTwice_AreClearErrors()
    {
        var dir = TestData.TempDir();
        var video = TestData.Shared("data", "video", "mmpose_demo.mp4");
        var r1 = CliProcess.Run(dir, "--input", video, "--json", "no/such/dir/o.jsonl");
        Assert.Equal(2, r1.ExitCode);
        Assert.Contains("does not exist", r1.Stderr);
        var r2 = CliProcess.Run(dir, "--input", video, "--json", "same.txt", "--mot", "same.txt");
        Assert.Equal(2, r2.ExitCode);
        Assert.Contains("same file", r2.Stderr);
    }

    [Fact]
    public void CorruptModel_IsNamedWithItsChecksum()
    {
        var dir = TestData.TempDir();
        var models = PoseTrack.Tests.Hardening.HardeningCli.CopyModels(dir);
        var pose = Path.Combine(models, "movenet_singlepose_lightning_192.onnx"); // the default pose model
        File.SetAttributes(pose, FileAttributes.Normal);
        var bytes = File.ReadAllBytes(pose);
        bytes[^100] ^= 0xFF;
        File.WriteAllBytes(pose, bytes);
        var r = CliProcess.Run(dir, "--input", TestData.Shared("data", "video", "mmpose_demo.mp4"), "--models", models, "--json", "o.jsonl");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("sha256", r.Stderr);
    }

    [Fact]
    public void DetectorGivenAsPoseModel_IsAShapeError()
    {
        var dir = TestData.TempDir();
        var r = CliProcess.Run(dir, "--input", TestData.Shared("data", "video", "mmpose_demo.mp4"),
            "--pose-model", Path.Combine(TestData.ModelsDir, "rtmdet_nano_person_320.onnx"), "--json", "o.jsonl");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("unexpected shape", r.Stderr);
    }
}
