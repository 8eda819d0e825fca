using System.Diagnostics;
using System.Text.Json;
using OpenCvSharp;

namespace PoseTrack.Tests.Cli;

/// <summary>Ctrl+C and hard kills on a real run: what was written stays readable.</summary>
[Collection(PoseTrack.Tests.DoNoHarm.TimingCollection.Name)]
public sealed class SignalTests
{
    private static void Signal(Process p, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {p.Id}") { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    private static void WaitForLines(string path, int lines, Process p)
    {
        var until = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < until && !p.HasExited)
        {
            if (File.Exists(path))
            {
                try { if (File.ReadLines(path).Count() >= lines) return; } catch (IOException) { }
            }
            Thread.Sleep(50);
        }
        throw new TimeoutException($"{path} never reached {lines} lines (exited: {p.HasExited})");
    }

    [Fact]
    public void CtrlC_DrainsFinalisesTheVideoAndJson_AndExits130()
    {
        var dir = TestData.TempDir();
        using var p = CliProcess.Start(dir, "--input", TestData.Shared("data", "video", "vtest_10s.mp4"), "--output", "o.mp4", "--json", "o.jsonl");
        WaitForLines(Path.Combine(dir, "o.jsonl"), 10, p);
        Signal(p, "INT");
        Assert.True(p.WaitForExit(60_000), "no exit after Ctrl+C");
        Assert.Equal(130, p.ExitCode);
        var all = File.ReadAllLines(Path.Combine(dir, "o.jsonl"));
        foreach (var l in all) using (JsonDocument.Parse(l)) { }
        // A stopped run closes its log with the summary: the frames written, stopped by the user.
        using (var summary = JsonDocument.Parse(all[^1]))
        {
            Assert.Equal("summary", summary.RootElement.GetProperty("type").GetString());
            Assert.True(summary.RootElement.GetProperty("stopped").GetBoolean());
            Assert.Equal(all.Length - 2, summary.RootElement.GetProperty("frames").GetInt64());
        }
        var lines = TestData.LogLines(Path.Combine(dir, "o.jsonl"));
        Assert.InRange(lines.Length, 10, 100);
        // The video written before Ctrl+C is playable, with one frame per JSON frame line.
        Assert.Equal(lines.Length - 1, VideoProbe.Frames(Path.Combine(dir, "o.mp4")));
    }

    [Fact]
    public void CtrlC_AtATerminal_ReachesTheWholeProcessGroup_AndTheFfmpegVideoIsStillFinalised()
    {
        // A terminal sends Ctrl+C's SIGINT to every process of the foreground group, ffmpeg writer children included:
        // they must not stop before posetrack has drained its frames into them. The run gets a group of its own
        // (setsid) and the signal goes to the whole group, as a terminal sends it.
        var dir = TestData.TempDir();
        using var p = CliProcess.StartProgram("setsid", ["dotnet", CliProcess.PosetrackDll, "--input", TestData.Shared("data", "video", "vtest_10s.mp4"),
            "--output", "o.mp4", "--codec", "mpeg4", "--json", "o.jsonl"], dir, null);
        WaitForLines(Path.Combine(dir, "o.jsonl"), 10, p);
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-INT", "--", $"-{p.Id}"]) { UseShellExecute = false })!) kill.WaitForExit();
        Assert.True(p.WaitForExit(60_000), "no exit after Ctrl+C");
        Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}: {p.StandardError.ReadToEnd()}");
        var lines = TestData.LogLines(Path.Combine(dir, "o.jsonl"));
        using (var summary = JsonDocument.Parse(File.ReadAllLines(Path.Combine(dir, "o.jsonl"))[^1]))
            Assert.True(summary.RootElement.GetProperty("stopped").GetBoolean());
        Assert.Equal(lines.Length - 1, VideoProbe.Frames(Path.Combine(dir, "o.mp4")));
    }

    [Fact]
    public void CtrlC_DuringBench_Exits130_AndRemovesItsTemporaryOutputs()
    {
        // bench writes its videos and logs to a temporary folder; Ctrl+C must reach it so that folder is removed.
        var dir = TestData.TempDir();
        var tmp = Directory.CreateDirectory(Path.Combine(dir, "tmp")).FullName;
        using var p = CliProcess.StartWithEnvironment(dir, new Dictionary<string, string> { ["TMPDIR"] = tmp },
            "bench", "--input", TestData.Shared("data", "video", "vtest_10s.mp4"), "--sections", "pipeline", "--loop", "--frames", "100000", "-q");
        try
        {
            var until = DateTime.UtcNow.AddMinutes(2);
            while (!Directory.EnumerateFiles(tmp, "*.jsonl", SearchOption.AllDirectories).Any())
            {
                if (p.HasExited) Assert.Fail($"bench ended early: {p.StandardError.ReadToEnd()}");
                Assert.True(DateTime.UtcNow < until, "bench never started writing");
                Thread.Sleep(100);
            }
            Signal(p, "INT");
            Assert.True(p.WaitForExit(60_000), "no exit after Ctrl+C");
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);   // a bench of 100,000 frames must not outlive the test
        }
        Assert.Equal(130, p.ExitCode);
        // Only the bench's own folder counts (the runtime keeps its diagnostics socket in TMPDIR too).
        var left = Directory.EnumerateDirectories(tmp, "posetrack-bench-*").ToList();
        Assert.True(left.Count == 0, $"left behind: {string.Join(", ", Directory.EnumerateFileSystemEntries(tmp, "*", SearchOption.AllDirectories))}");
    }

    [Fact]
    public void Sigkill_LeavesEveryCompleteJsonLineValid()
    {
        var dir = TestData.TempDir();
        using var p = CliProcess.Start(dir, "--input", TestData.Shared("data", "video", "vtest_10s.mp4"), "--json", "o.jsonl", "--output", "o.mkv");
        WaitForLines(Path.Combine(dir, "o.jsonl"), 5 + Random.Shared.Next(20), p);
        p.Kill();
        p.WaitForExit();
        var text = File.ReadAllText(Path.Combine(dir, "o.jsonl"));
        var lines = text.Split('\n');
        // Every complete line parses; only a last line without its newline may be partial.
        for (int i = 0; i < lines.Length - 1; i++) using (JsonDocument.Parse(lines[i])) { }
        Assert.True(lines.Length >= 6);
        // A killed run has no closing summary; the reader takes the log without one.
        Assert.DoesNotContain("\"type\":\"summary\"", text, StringComparison.Ordinal);
        var content = PoseTrack.Sinks.JsonLinesReader.ReadAll(Path.Combine(dir, "o.jsonl"));
        Assert.Null(content.Summary);
        Assert.True(content.Frames.Count >= 4);
    }

    /// <summary>
    /// What README promises for a SIGKILL, measured: the .avi (one JPEG per frame) plays up to within two frames of
    /// the last JSON line; the .mkv plays, but the muxer holds its current cluster in memory, so it may lose up to
    /// the last few seconds (measured: 24 of 40 frames at 10 fps).
    /// </summary>
    [Theory]
    [InlineData("o.avi", 2)]
    [InlineData("o.mkv", 40)]
    public void Sigkill_LeavesAPlayableVideo_UpToWhatReadmeSays(string name, int mayLose)
    {
        var dir = TestData.TempDir();
        using var p = CliProcess.Start(dir, "--input", TestData.Shared("data", "video", "vtest_10s.mp4"), "--json", "o.jsonl", "--output", name);
        WaitForLines(Path.Combine(dir, "o.jsonl"), 61, p);
        p.Kill();
        p.WaitForExit();
        int logged = File.ReadAllLines(Path.Combine(dir, "o.jsonl")).Length - 1;
        int playable = VideoProbe.Frames(Path.Combine(dir, name));
        Assert.InRange(playable, Math.Max(1, logged - mayLose), logged + 4);
    }
}
