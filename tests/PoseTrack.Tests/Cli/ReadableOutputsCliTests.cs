using System.Text.Json;

namespace PoseTrack.Tests.Cli;

/// <summary>
/// Outputs people can read and tools can load, through the command as a user runs it: drawing options that never
/// change the results, export equal to the live outputs, MOT boxes 1-based, plain log lines, option errors first,
/// and <c>image</c> with no output.
/// </summary>
public sealed class ReadableOutputsCliTests
{
    private static string Video => TestData.Shared("data", "video", "mmpose_demo.mp4");

    /// <summary>The frame lines of a log (header and closing summary left out).</summary>
    private static string[] FrameLines(string path) =>
        [.. File.ReadAllLines(path).Where(l => l.StartsWith("{\"frame\"", StringComparison.Ordinal))];

    [Fact]
    public void DrawingOptions_Work_AndDoNotChangeTheResults_AndTheTerminalHasNoLoggerPrefixes()
    {
        var dir = TestData.TempDir();
        var drawn = CliProcess.Run(dir, "--input", Video, "--json", "a.jsonl", "--csv", "a.csv", "--output", "a.mp4",
            "--draw-threshold", "0.4", "--line-width", "3", "--dot-size", "2", "--no-boxes", "--no-labels", "--no-overlay");
        Assert.True(drawn.ExitCode == 0, drawn.Stderr);
        Assert.True(new FileInfo(Path.Combine(dir, "a.mp4")).Length > 1000);
        var plain = CliProcess.Run(dir, "--input", Video, "--json", "b.jsonl", "-q");
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        var a = FrameLines(Path.Combine(dir, "a.jsonl"));
        Assert.Equal(5, a.Length);
        Assert.Equal(FrameLines(Path.Combine(dir, "b.jsonl")), a);

        // Log lines in the tool's own voice: no "info: PoseTrack[0]" category prefixes.
        var lines = drawn.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("posetrack: Input ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("info:", StringComparison.Ordinal) || l.Contains("[0]", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--line-width", "0")]
    [InlineData("--dot-size", "1000")]
    [InlineData("--draw-threshold", "2")]
    public void DrawingOptionErrors_NameTheOption_AndComeBeforeAnyNoOutputLine(string option, string value)
    {
        var dir = TestData.TempDir();
        var r = CliProcess.Run(dir, "--input", Video, option, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(option, r.Stderr);
        Assert.DoesNotContain("no output given", r.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "out.jsonl")));
    }

    [Fact]
    public void Export_WritesTheFilesTheLiveRunWrote_ByteForByte_WithMotBoxes1Based()
    {
        var dir = TestData.TempDir();
        var tud = TestData.Shared("data", "tracking", "TUD-Campus", "TUD-Campus.mp4");
        var live = CliProcess.Run(dir, "track", "--input", tud, "--max-frames", "20", "--json", "run.jsonl",
            "--mot", "live.txt", "--posetrack", "live.json", "--csv", "live.csv", "-q");
        Assert.True(live.ExitCode == 0, live.Stderr);
        var export = CliProcess.Run(dir, "export", "run.jsonl", "--mot", "export.txt", "--posetrack", "export.json", "--csv", "export.csv", "-q");
        Assert.True(export.ExitCode == 0, export.Stderr);
        foreach (var ext in new[] { "txt", "json", "csv" })
        {
            var liveBytes = File.ReadAllBytes(Path.Combine(dir, $"live.{ext}"));
            Assert.True(liveBytes.Length > 100, $"live.{ext} has {liveBytes.Length} bytes");
            Assert.Equal(liveBytes, File.ReadAllBytes(Path.Combine(dir, $"export.{ext}")));
        }

        // MOTChallenge rows: frame and box 1-based, i.e. the log's frame index + 1 and its box corner + 1.
        var firstRow = File.ReadAllLines(Path.Combine(dir, "live.txt"))[0].Split(',');
        var log = PoseTrack.Sinks.JsonLinesReader.ReadAll(Path.Combine(dir, "run.jsonl")).Frames;
        var frame = log.Single(f => f.Frame == int.Parse(firstRow[0]) - 1);
        var person = frame.Persons.Single(p => p.TrackId == int.Parse(firstRow[1]));
        Assert.Equal(person.Box.X + 1, float.Parse(firstRow[2], System.Globalization.CultureInfo.InvariantCulture), 3);
        Assert.Equal(person.Box.Y + 1, float.Parse(firstRow[3], System.Globalization.CultureInfo.InvariantCulture), 3);
        Assert.Equal(person.Box.Width, float.Parse(firstRow[4], System.Globalization.CultureInfo.InvariantCulture), 3);

        var none = CliProcess.Run(dir, "export", "run.jsonl");
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("--mot FILE", none.Stderr);
    }

    [Fact]
    public void Image_WithNoOutput_WritesBesideIt_NeverOverAFile_AndCountsInWords()
    {
        var dir = TestData.TempDir();
        File.Copy(TestData.Shared("data", "coco", "000000000785.jpg"), Path.Combine(dir, "photo.jpg"));
        var r = CliProcess.Run(dir, "image", "photo.jpg");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var jpg = Path.Combine(dir, "photo.posetrack.jpg");
        var json = Path.Combine(dir, "photo.posetrack.json");
        Assert.True(File.Exists(jpg) && File.Exists(json), r.Stderr);
        Assert.Contains($"writing {jpg} and {json}", r.Stderr);
        using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
        {
            int n = doc.RootElement.GetProperty("images")[0].GetProperty("persons").GetArrayLength();
            Assert.Contains(n == 1 ? "photo.jpg: 1 person" : $"photo.jpg: {n} people", r.Stderr);
        }
        Assert.DoesNotContain("1 people", r.Stderr);

        // Run again: the earlier outputs are not replaced; the user is told what to pass.
        var before = File.ReadAllBytes(jpg);
        var again = CliProcess.Run(dir, "image", "photo.jpg");
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already exists", again.Stderr);
        Assert.Contains("--output", again.Stderr);
        Assert.Equal(before, File.ReadAllBytes(jpg));
    }

    [Fact]
    public void PeopleCounts_AreInWords()
    {
        Assert.Equal("0 people", PoseTrack.Cli.Commands.ImageCommand.People(0));
        Assert.Equal("1 person", PoseTrack.Cli.Commands.ImageCommand.People(1));
        Assert.Equal("2 people", PoseTrack.Cli.Commands.ImageCommand.People(2));
    }
}
