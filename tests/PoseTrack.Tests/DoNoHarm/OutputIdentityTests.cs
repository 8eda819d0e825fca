using PoseTrack.Sinks;
using static PoseTrack.Tests.Hardening.HardeningCli;

namespace PoseTrack.Tests.DoNoHarm;

/// <summary>
/// Inputs are never outputs, and one writer per output: every command compares its outputs with its inputs and
/// with each other by file identity (symlinks and hard links count) before opening anything, and a second run aimed
/// at a file another run is writing fails at once without touching it. Real processes on real files.
/// </summary>
public sealed class OutputIdentityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("posetrack-harm-").FullName;
    private readonly string _video;
    private readonly byte[] _original;

    public OutputIdentityTests()
    {
        _video = Path.Combine(_dir, "in.mp4");
        File.Copy(Path.Combine(TestData.RepoRoot, "samples", "data", "vtest_10s.mp4"), _video);
        _original = File.ReadAllBytes(_video);
        File.CreateSymbolicLink(Path.Combine(_dir, "link.mp4"), _video);
        Assert.Equal(0, Link(_video, Path.Combine(_dir, "hard.mp4")));
        Directory.CreateDirectory(Path.Combine(_dir, "sub"));
        File.CreateSymbolicLink(Path.Combine(_dir, "dirlink"), _dir);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string newPath);

    [Theory]
    [InlineData("--output", "in.mp4")]
    [InlineData("--json", "in.mp4")]
    [InlineData("--mot", "./sub/../in.mp4")]
    [InlineData("--posetrack", "dirlink/in.mp4")]
    [InlineData("--output", "link.mp4")]   // a symlink to the input
    [InlineData("--json", "hard.mp4")]     // a hard link to the input
    public void Output_that_is_the_input_is_refused_and_the_input_is_untouched(string option, string output)
    {
        var r = Run(_dir, "track", "--input", "in.mp4", option, output, "-q");
        if (option == "--output") r = Run(_dir, "--input", "in.mp4", option, output, "-q");
        AssertOneErrorLine(r, option, "is the input", "refusing to overwrite");
        Assert.Equal(_original, File.ReadAllBytes(_video));
    }

    [Fact]
    public void Two_outputs_that_are_one_file_through_a_symlink_are_refused_before_anything_is_written()
    {
        File.CreateSymbolicLink(Path.Combine(_dir, "b.jsonl"), Path.Combine(_dir, "a.jsonl"));
        var r = Run(_dir, "track", "--input", "in.mp4", "--json", "a.jsonl", "--mot", "b.jsonl", "-q");
        AssertOneErrorLine(r, "--json", "--mot", "same file");
        Assert.False(File.Exists(Path.Combine(_dir, "a.jsonl")));
    }

    [Fact]
    public void Report_and_eval_outputs_cannot_be_their_inputs()
    {
        var log = Path.Combine(_dir, "run.jsonl");
        File.WriteAllText(log, "{\"type\":\"header\",\"version\":1}\n");
        var before = File.ReadAllBytes(log);
        AssertOneErrorLine(Run(_dir, "report", "run.jsonl", "-o", "run.jsonl", "-q"), "--output", "is the input");
        AssertOneErrorLine(Run(_dir, "report", "run.jsonl", "--video", "in.mp4", "-o", "hard.mp4", "-q"), "is the input");
        AssertOneErrorLine(Run(_dir, "eval", "coco", "--annotations", "run.jsonl", "--images", _dir, "--results", "run.jsonl"), "--results", "is the input");
        Assert.Equal(before, File.ReadAllBytes(log));
        Assert.Equal(_original, File.ReadAllBytes(_video));
    }

    [Fact]
    public void Identity_sees_symlinks_hard_links_and_detours_and_tells_different_files_apart()
    {
        Assert.True(OutputSafety.IsSameFile(_video, Path.Combine(_dir, "link.mp4")));
        Assert.True(OutputSafety.IsSameFile(_video, Path.Combine(_dir, "hard.mp4")));
        Assert.True(OutputSafety.IsSameFile(_video, Path.Combine(_dir, "dirlink", "sub", "..", "in.mp4")));
        Assert.True(OutputSafety.IsSameFile(Path.Combine(_dir, "new.jsonl"), Path.Combine(_dir, "dirlink", "new.jsonl")));
        Assert.False(OutputSafety.IsSameFile(_video, Path.Combine(_dir, "new.jsonl")));
        File.Copy(_video, Path.Combine(_dir, "copy.mp4"));
        Assert.False(OutputSafety.IsSameFile(_video, Path.Combine(_dir, "copy.mp4")));
    }

    [Fact]
    public async Task A_second_run_aimed_at_a_file_being_written_fails_at_once_and_the_first_run_is_unaffected()
    {
        // First run: the whole sample video, writing a.jsonl and a.mp4.
        using var first = CliProcess.Start(_dir, "--input", "in.mp4", "--json", "a.jsonl", "--output", "a.mp4", "-q");
        var firstOut = first.StandardOutput.ReadToEndAsync();
        var firstErr = first.StandardError.ReadToEndAsync();
        var json = Path.Combine(_dir, "a.jsonl");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(File.Exists(json) && File.ReadAllLines(json).Length >= 3) && DateTime.UtcNow < deadline && !first.HasExited) Thread.Sleep(50);
        Assert.False(first.HasExited, "the first run ended before the second could start");

        // Aimed at the same JSON (other video name), then at the same video (other JSON name).
        var sameJson = Run(_dir, "--input", "in.mp4", "--json", "a.jsonl", "--output", "b.mp4", "-q");
        var sameVideo = Run(_dir, "--input", "in.mp4", "--json", "b.jsonl", "--output", "a.mp4", "-q");
        AssertOneErrorLine(sameJson, "a.jsonl", "being written by another process");
        AssertOneErrorLine(sameVideo, "a.mp4", "being written by another process");
        Assert.False(File.Exists(Path.Combine(_dir, "b.mp4")), "the refused run created its other output");
        Assert.False(File.Exists(Path.Combine(_dir, "b.jsonl")), "the refused run created its other output");

        Assert.True(first.WaitForExit(TimeSpan.FromMinutes(2)));
        Assert.True(first.ExitCode == 0, await firstErr);
        Assert.Contains("frames=100 ", await firstOut);
        var lines = TestData.LogLines(json);
        Assert.Equal(101, lines.Length);
        for (int i = 1; i < lines.Length; i++)
            Assert.StartsWith($"{{\"frame\":{i - 1},", lines[i], StringComparison.Ordinal);
        Assert.Equal(100, VideoProbe.Frames(Path.Combine(_dir, "a.mp4")));
    }

    [Fact]
    public void Sinks_lock_their_files_so_a_second_writer_in_the_library_fails_without_truncating()
    {
        var path = Path.Combine(_dir, "x.jsonl");
        var header = new JsonLinesHeader("in.mp4", 8, 8, 25, null, "d", "p", PoseTrack.Core.Skeleton.Coco17, DateTimeOffset.UnixEpoch);
        using (var first = new JsonLinesSink(path, header))
        {
            long length = new FileInfo(path).Length;
            var e = Assert.Throws<PoseTrack.Core.PoseTrackException>(() => new JsonLinesSink(path, header));
            Assert.Contains("being written by another process", e.Message);
            Assert.Throws<PoseTrack.Core.PoseTrackException>(() => new MotFileSink(path));
            Assert.Throws<PoseTrack.Core.PoseTrackException>(() => new PoseTrackJsonSink(path, PoseTrack.Core.Skeleton.Coco17, "s"));
            Assert.Equal(length, new FileInfo(path).Length);
        }
        var video = Path.Combine(_dir, "x.mkv");
        using (var writer = new VideoFileSink(video, 64, 48, 25))
        {
            var e = Assert.Throws<PoseTrack.Core.PoseTrackException>(() => new VideoFileSink(video, 64, 48, 25));
            Assert.Contains("being written by another process", e.Message);
        }
        // Released with the writer: the next run may write it.
        using var again = new JsonLinesSink(path, header);
    }
}
