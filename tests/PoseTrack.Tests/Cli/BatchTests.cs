using System.Diagnostics;

namespace PoseTrack.Tests.Cli;

/// <summary><c>posetrack batch</c>: every video of a folder into OUT/&lt;stem&gt;.jsonl, resumable after a kill.</summary>
public sealed class BatchTests
{
    private static string Sample => Path.Combine(TestData.RepoRoot, "samples", "data", "vtest_10s.mp4");

    [Fact]
    public void Batch_resumes_after_SIGKILL_redoing_only_the_unfinished_video()
    {
        var dir = TestData.TempDir("batch");
        var input = Directory.CreateDirectory(Path.Combine(dir, "in")).FullName;
        foreach (var n in new[] { "a", "b", "c" }) File.Copy(Sample, Path.Combine(input, n + ".mp4"));
        string Out(string f) => Path.Combine(dir, "out", f);
        string[] args = ["batch", "in", "--output-dir", "out", "--jobs", "1", "--max-frames", "40", "-q"];

        // Killed (SIGKILL: nothing is cleaned up) while the second video is half done.
        using (var p = CliProcess.Start(dir, args))
        {
            var deadline = Stopwatch.StartNew();
            // The writer locks its log, so its progress is read from its size: a few frame lines (of a's mean size) in.
            while (!(File.Exists(Out("a.jsonl")) && File.Exists(Out("b.partial.jsonl"))
                     && new FileInfo(Out("b.partial.jsonl")).Length > 3 * new FileInfo(Out("a.jsonl")).Length / 41))
            {
                if (p.HasExited) Assert.Fail($"batch ended before it could be killed: {p.StandardError.ReadToEnd()}");
                Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(4), "the second video did not start in time");
                Thread.Sleep(50);
            }
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        Assert.False(File.Exists(Out("b.jsonl")));
        var finishedAt = File.GetLastWriteTimeUtc(Out("a.jsonl"));
        var finished = File.ReadAllBytes(Out("a.jsonl"));

        var r = CliProcess.Run(dir, TimeSpan.FromMinutes(5), args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("video=a frames=0 ", r.Stdout);
        Assert.Contains("state=skipped", r.Stdout.Split('\n').Single(l => l.StartsWith("video=a ", StringComparison.Ordinal)));
        Assert.Contains("video=b frames=40 ", r.Stdout);
        Assert.True(r.Stdout.Contains("video=c frames=40 "), r.Stdout + "\n---\n" + r.Stderr);
        Assert.Contains("done=2 skipped=1 failed=0 total=3", r.Stdout);
        // The finished video was not touched; the unfinished one was redone whole.
        Assert.Equal(finishedAt, File.GetLastWriteTimeUtc(Out("a.jsonl")));
        Assert.Equal(finished, File.ReadAllBytes(Out("a.jsonl")));
        Assert.False(File.Exists(Out("b.partial.jsonl")));
        foreach (var n in new[] { "a", "b", "c" })
            Assert.Equal(40, PoseTrack.Sinks.JsonLinesReader.ReadAll(Out(n + ".jsonl")).Frames.Count);

        // A third run has nothing left to do.
        r = CliProcess.Run(dir, TimeSpan.FromMinutes(2), args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("done=0 skipped=3 failed=0 total=3", r.Stdout);
    }

    [Fact]
    public void Batch_finds_videos_by_folder_or_pattern()
    {
        var dir = TestData.TempDir("batch");
        foreach (var f in new[] { "b.mp4", "a.MKV", "notes.txt", "x.partial.mp4" }) File.WriteAllText(Path.Combine(dir, f), "");
        Assert.Equal(["a.MKV", "b.mp4"], PoseTrack.Cli.Commands.BatchCommand.FindVideos(dir).Select(Path.GetFileName));
        Assert.Equal(["b.mp4"], PoseTrack.Cli.Commands.BatchCommand.FindVideos(Path.Combine(dir, "*.mp4")).Select(Path.GetFileName));
        Assert.Throws<PoseTrack.Core.PoseTrackException>(() => PoseTrack.Cli.Commands.BatchCommand.FindVideos(Path.Combine(dir, "*.avi")));
    }
}
