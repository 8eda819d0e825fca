using System.Text.Json;
using OpenCvSharp;
using PoseTrack.Sinks;
using static PoseTrack.Tests.Hardening.HardeningCli;

namespace PoseTrack.Tests.Hardening;

/// <summary>
/// Outputs the file system refuses: no permission at the start, and full (or over a file-size limit) in the middle
/// of a run. One clear line, exit code 2, and every output holds the frames written before the fault, valid.
/// </summary>
/// <remarks>
/// Methods that work here (tests run as root, so mode bits do not stop writes): <c>chattr +i</c> on the output
/// folder for "no permission"; <c>ulimit -f</c> on the child for a write refused mid-run (EFBIG: the command
/// ignores SIGXFSZ, which would otherwise kill it); a small tmpfs mount for a real full disk (ENOSPC).
/// </remarks>
public sealed class OutputFaultTests
{
    private static string Video => TestData.Shared("data", "video", "vtest_10s.mp4");

    private static void AssertJsonLinesValid(string path, int minFrames)
    {
        var text = File.ReadAllText(path);
        Assert.EndsWith("\n", text);   // cut back to the last complete line
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var line in lines) using (JsonDocument.Parse(line)) { }
        var content = JsonLinesReader.ReadAll(path);
        Assert.False(content.PartialLastLine);
        Assert.InRange(content.Frames.Count, minFrames, 99);
        Assert.Equal(Enumerable.Range(0, content.Frames.Count).Select(i => (long)i), content.Frames.Select(f => f.Frame));
    }

    [Theory]
    [InlineData("--json", "o.jsonl")]
    [InlineData("--output", "o.mp4")]
    [InlineData("--mot", "o.txt")]
    [InlineData("--posetrack", "o.json")]
    public void OutputFolderWithoutWritePermission_IsOneLineBeforeAnyWork(string option, string name)
    {
        var dir = TestData.TempDir();
        var locked = Path.Combine(dir, "locked");
        Directory.CreateDirectory(locked);
        Exec("chattr", "+i", locked);
        try
        {
            var args = option is "--mot" or "--posetrack" ? new[] { "track", "--input", Video, option, Path.Combine("locked", name), "-q" }
                : ["--input", Video, option, Path.Combine("locked", name), "-q"];
            var r = Run(dir, args);
            AssertOneErrorLine(r, "cannot write", Path.Combine("locked", name));
            Assert.Empty(Directory.GetFileSystemEntries(locked));
            Assert.DoesNotContain("frames=", r.Stdout);
        }
        finally { Exec("chattr", "-i", locked); }
    }

    [Fact]
    public void JsonLinesOverAFileSizeLimit_IsOneLine_AndTheLinesWrittenStayValid()
    {
        var dir = TestData.TempDir();
        var r = RunWithFileSizeLimit(dir, 64, "--input", Video, "--json", "o.jsonl", "-q");
        AssertOneErrorLine(r, "JSON lines output", "o.jsonl", "file-size limit");
        AssertJsonLinesValid(Path.Combine(dir, "o.jsonl"), 10);
    }

    [Fact]
    public void MotOverAFileSizeLimit_IsOneLine_AndHoldsWholeFrames()
    {
        var dir = TestData.TempDir();
        var r = RunWithFileSizeLimit(dir, 16, "track", "--input", Video, "--mot", "o.txt", "-q");
        AssertOneErrorLine(r, "MOT output", "o.txt");
        var text = File.ReadAllText(Path.Combine(dir, "o.txt"));
        Assert.EndsWith("\n", text);
        var rows = PoseTrack.Evaluation.MotFile.Read(Path.Combine(dir, "o.txt"), PoseTrack.Evaluation.MotFileKind.Hypothesis);
        Assert.NotEmpty(rows);
    }

    [Fact]
    public void PoseTrackJsonOverAFileSizeLimit_IsOneLine_AndStaysOneValidDocument()
    {
        // The document is written at the end of the run (temporary file, then rename): the refused write is reported
        // then, and the file keeps the valid empty document it held during the run; no temporary file is left.
        var dir = TestData.TempDir();
        var r = RunWithFileSizeLimit(dir, 24, "track", "--input", Video, "--posetrack", "o.json", "-q");
        AssertOneErrorLine(r, "PoseTrack JSON output", "o.json", "file-size limit");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "o.json")));
        Assert.Equal(0, doc.RootElement.GetProperty("images").GetArrayLength());
        Assert.Equal(0, doc.RootElement.GetProperty("annotations").GetArrayLength());
        Assert.False(File.Exists(Path.Combine(dir, "o.json.tmp")));
    }

    [Theory]
    [InlineData("o.mp4")]
    [InlineData("o.mkv")]
    [InlineData("o.avi")]
    public void VideoOverAFileSizeLimit_StopsTheRunAtTheFirstRefusedWrite_AndSaysWhatIsPlayable(string name)
    {
        var dir = TestData.TempDir();
        var r = RunWithFileSizeLimit(dir, 256, "--input", Video, "--output", name, "--json", "o.jsonl", "-q");
        var line = AssertOneErrorLine(r, "video output", name, "failed at frame", "file-size limit");
        // Stopped there, not after processing the whole input: the JSON lines (written after the video for each
        // frame) end just before the refused frame.
        int refusedAt = int.Parse(System.Text.RegularExpressions.Regex.Match(line, @"failed at frame (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var frames = JsonLinesReader.ReadAll(Path.Combine(dir, "o.jsonl")).Frames.Count;
        Assert.Equal(refusedAt, frames);
        Assert.True(frames < 100, $"{frames} frames processed after the refusal at {refusedAt}");
        if (name.EndsWith(".mp4", StringComparison.Ordinal))
        {
            // Its index would have been written last: the message says it does not play, and it does not.
            Assert.Contains("not playable", line);
            using var capture = new OpenCvSharp.VideoCapture(Path.Combine(dir, name));
            Assert.False(capture.IsOpened() && capture.Grab());
        }
        else
        {
            Assert.Contains("stay playable", line);
            Assert.InRange(VideoProbe.Frames(Path.Combine(dir, name)), 1, refusedAt);
        }
    }

    /// <summary>
    /// The same for <c>--codec h264</c>: the ffmpeg child's write is refused (it inherits the limit), it exits, and
    /// the run stops at the next frame it is given: one line, exit 2, JSON lines ending before that frame, no ffmpeg
    /// left running. ffmpeg holds a few frames in its encoder, so the refusal is seen some frames after the file
    /// stopped growing.
    /// </summary>
    [Theory]
    [InlineData("o.mp4")]
    [InlineData("o.mkv")]
    public void H264VideoOverAFileSizeLimit_StopsTheRunWithOneLine_AndLeavesNoFfmpeg(string name)
    {
        var dir = TestData.TempDir();
        var r = RunWithFileSizeLimit(dir, 256, "--input", Video, "--output", name, "--codec", "h264", "--json", "o.jsonl", "-q");
        var line = AssertOneErrorLine(r, "video output", name, "failed at frame", "file-size limit");
        int refusedAt = int.Parse(System.Text.RegularExpressions.Regex.Match(line, @"failed at frame (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var frames = JsonLinesReader.ReadAll(Path.Combine(dir, "o.jsonl")).Frames.Count;
        Assert.Equal(refusedAt, frames);
        Assert.True(frames < 100, $"{frames} frames processed after the refusal at {refusedAt}");
        Assert.True(new FileInfo(Path.Combine(dir, name)).Length <= 256 * 1024);
        if (name.EndsWith(".mp4", StringComparison.Ordinal)) Assert.Contains("not playable", line);
        else
        {
            Assert.Contains("stay playable", line);
            Assert.InRange(VideoProbe.Frames(Path.Combine(dir, name)), 1, refusedAt);
        }
        // No ffmpeg child outlives the run (its command line names the output in this test's folder).
        var left = Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)).Where(d =>
        {
            try { return File.ReadAllText(Path.Combine(d, "cmdline")).Contains(dir, StringComparison.Ordinal); }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        }).ToList();
        Assert.True(left.Count == 0, $"still running: {string.Join(", ", left)}");
    }

    [Fact]
    public void DiskFullMidRun_VideoFails_WithOneLine_AndTheJsonOnAnotherDiskIsComplete()
    {
        var dir = TestData.TempDir();
        var small = Path.Combine(dir, "small");
        Directory.CreateDirectory(small);
        Exec("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", small);
        try
        {
            var r = Run(dir, "--input", Video, "--output", Path.Combine("small", "o.mp4"), "--json", "o.jsonl", "-q");
            AssertOneErrorLine(r, "video output", "o.mp4", "no space left on device");
            // The run stopped at the refusal; the other output holds every frame processed until then, all valid.
            var frames = JsonLinesReader.ReadAll(Path.Combine(dir, "o.jsonl")).Frames;
            Assert.InRange(frames.Count, 1, 99);
            Assert.Equal(Enumerable.Range(0, frames.Count).Select(i => (long)i), frames.Select(f => f.Frame));
        }
        finally { Exec("umount", small); }
    }

    [Theory]
    [InlineData("o.mp4")]
    [InlineData("o.mkv")]
    public void DiskFullMidRun_H264VideoFails_WithOneLine_AndTheJsonOnAnotherDiskEndsBeforeThatFrame(string name)
    {
        var dir = TestData.TempDir();
        var small = Path.Combine(dir, "small");
        Directory.CreateDirectory(small);
        Exec("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", small);
        try
        {
            var r = Run(dir, "--input", Video, "--output", Path.Combine("small", name), "--codec", "h264", "--json", "o.jsonl", "-q");
            var line = AssertOneErrorLine(r, "video output", name, "failed at frame", "no space left on device");
            int refusedAt = int.Parse(System.Text.RegularExpressions.Regex.Match(line, @"failed at frame (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var frames = JsonLinesReader.ReadAll(Path.Combine(dir, "o.jsonl")).Frames;
            Assert.Equal(refusedAt, frames.Count);
            Assert.InRange(frames.Count, 1, 99);
            Assert.Equal(Enumerable.Range(0, frames.Count).Select(i => (long)i), frames.Select(f => f.Frame));
        }
        finally { Exec("umount", small); }
    }

    [Fact]
    public void DiskFullMidRun_JsonLines_IsOneLine_AndTheLinesWrittenStayValid()
    {
        var dir = TestData.TempDir();
        var small = Path.Combine(dir, "small");
        Directory.CreateDirectory(small);
        Exec("mount", "-t", "tmpfs", "-o", "size=32k", "tmpfs", small);
        try
        {
            var r = Run(dir, "--input", Video, "--json", Path.Combine("small", "o.jsonl"), "-q");
            AssertOneErrorLine(r, "JSON lines output", "No space left on device");
            AssertJsonLinesValid(Path.Combine(small, "o.jsonl"), 10);
        }
        finally { Exec("umount", small); }
    }
}
