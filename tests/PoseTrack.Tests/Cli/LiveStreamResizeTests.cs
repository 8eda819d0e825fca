using System.Text.RegularExpressions;
using PoseTrack.Sinks;
using PoseTrack.Tests.Sources;

namespace PoseTrack.Tests.Cli;

public sealed partial class LiveStreamTests
{
    /// <summary>
    /// The camera comes back at another size (the server restarted with a half-size file): the outputs keep the first
    /// size (frames scaled to it), said once on stderr, and the run reaches its frame count.
    /// </summary>
    [Fact]
    public void Rtsp_stream_back_at_another_size_keeps_the_outputs_size_and_says_so_once()
    {
        if (!Have("rtsp")) return;
        var dir = TestData.TempDir();
        var small = Path.Combine(dir, "half.mp4");
        var cut = CliProcess.RunProgram("ffmpeg", ["-v", "error", "-nostdin", "-y", "-i", Video, "-vf", "scale=384:288", "-c:v", "libx264",
            "-preset", "veryfast", "-pix_fmt", "yuv420p", "-an", small], TimeSpan.FromMinutes(2));
        Assert.True(cut.ExitCode == 0, cut.Stderr);
        var jsonl = Path.Combine(dir, "o.jsonl");
        var server = RtspServer.Start(Video);
        int port = server.Port;
        using var run = Running.Start(dir, "--input", $"rtsp://127.0.0.1:{port}/live", "--json", "o.jsonl", "--output", "o.mkv", "--max-frames", "150");
        RtspServer? again = null;
        try
        {
            // As in the restart test: past frame 55 of the server's 100 per client, the second client's 100 reach 150.
            WaitFor(() => LastFrame(jsonl) >= 55 || run.Process.HasExited, TimeSpan.FromMinutes(2));
            Assert.False(run.Process.HasExited, run.Stderr);
            server.Dispose();
            Thread.Sleep(1000);
            again = RtspServer.Start(small, port);
            Assert.True(run.Process.WaitForExit(120_000), "no exit");
            run.Process.WaitForExit();
        }
        finally
        {
            server.Dispose();
            again?.Dispose();
        }
        Assert.True(run.Process.ExitCode == 0, run.Stderr);
        Assert.True(run.Stderr.Contains("reconnected", StringComparison.Ordinal), run.Stderr);
        Assert.Single(Regex.Matches(run.Stderr, @"came back at 384x288; its frames are scaled to 768x576 \(said once\)"));
        var log = JsonLinesReader.ReadAll(jsonl);
        Assert.Equal((768, 576), (log.Header.Width, log.Header.Height));
        Assert.Equal(149, log.Frames[^1].Frame);
        // Every frame, those after the reconnect too, is in the video at the first size.
        var probe = CliProcess.RunProgram("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0",
            Path.Combine(dir, "o.mkv")], TimeSpan.FromMinutes(1));
        Assert.Equal("768,576", probe.Stdout.Trim());
        Assert.True(PipeMedia.CountFrames(Path.Combine(dir, "o.mkv")) >= log.Frames.Count);
        var gapLine = Assert.Single(File.ReadAllLines(jsonl), l => l.Contains("\"type\":\"gap\"", StringComparison.Ordinal));
        using var gap = System.Text.Json.JsonDocument.Parse(gapLine);
        var after = log.Frames.Where(f => f.TimeMs >= gap.RootElement.GetProperty("to_ms").GetDouble()).ToList();
        Assert.NotEmpty(after);
        output.WriteLine($"{log.Frames.Count} frames, {after.Count} after the reconnect at 384x288, scaled to 768x576");
    }
}
