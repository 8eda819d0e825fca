using System.Diagnostics;
using System.Text.Json;
using PoseTrack.Sinks;

namespace PoseTrack.Tests.Cli;

/// <summary>
/// The PoseTrack18 document is written at the end of the run, and a run stopped by SIGTERM still ends: it then holds
/// every frame the run processed, the same frames as the JSON lines log written beside it.
/// </summary>
public sealed class PoseTrackOutputOnSignalTests
{
    [Fact]
    public async Task Sigterm_MidRun_WritesTheDocumentOfEveryFrameProcessed()
    {
        var dir = TestData.TempDir();
        var video = TestData.Shared("data", "video", "vtest_10s.mp4");
        var log = Path.Combine(dir, "o.jsonl");
        using var p = CliProcess.Start(dir, "track", "--input", video, "--json", "o.jsonl", "--posetrack", "o.json", "-q");
        var err = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        // Mid-run: the log has frames (waited for by polling, with a generous limit; nothing here is timed).
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (FrameLines(log) < 5 && !p.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(100);
        if (p.HasExited) Assert.Fail("the run ended before the signal: " + await err);
        Assert.True(FrameLines(log) >= 5, "no frames written within 2 minutes");
        // During the run the document is the valid empty one.
        using (var empty = JsonDocument.Parse(ReadShared(Path.Combine(dir, "o.json"))))
            Assert.Equal(0, empty.RootElement.GetProperty("images").GetArrayLength());

        using (var kill = Process.Start(new ProcessStartInfo("kill", $"-TERM {p.Id}") { UseShellExecute = false })!) kill.WaitForExit();
        bool ended = p.WaitForExit(TimeSpan.FromSeconds(60));
        if (!ended) p.Kill(entireProcessTree: true);
        Assert.True(ended, "still running 60 s after SIGTERM");
        var stderr = await err;
        Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}: {stderr}{await stdout}");

        var content = JsonLinesReader.ReadAll(log);
        var frames = content.Frames;
        // SIGTERM is a stop by the user: the log still closes with the summary, counting the frames it holds.
        Assert.NotNull(content.Summary);
        Assert.True(content.Summary.Stopped);
        Assert.Equal(frames.Count, content.Summary.Frames);
        Assert.StartsWith("{\"type\":\"summary\",", File.ReadLines(log).Last(), StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "o.json")));
        var images = doc.RootElement.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(frames.Select(f => PoseTrack.Sinks.PoseTrack18.ImageId(0, f.Frame)), images);
        var annotations = doc.RootElement.GetProperty("annotations").EnumerateArray().ToList();
        Assert.Equal(frames.Sum(f => f.Persons.Count), annotations.Count);
        // The same persons: track ids per frame agree with the log (untracked: null there, -1 here).
        Assert.Equal(
            frames.SelectMany(f => f.Persons.Select(q => (PoseTrack.Sinks.PoseTrack18.ImageId(0, f.Frame), q.TrackId ?? -1))),
            annotations.Select(a => (a.GetProperty("image_id").GetInt64(), a.GetProperty("track_id").GetInt32())));
        Assert.False(File.Exists(Path.Combine(dir, "o.json.tmp")));
    }

    private static int FrameLines(string path) => File.Exists(path) ? ReadShared(path).Count(c => c == '\n') - 1 : 0;

    private static string ReadShared(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(fs);
        return reader.ReadToEnd();
    }
}
