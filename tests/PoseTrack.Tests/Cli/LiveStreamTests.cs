using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PoseTrack.Sinks;
using PoseTrack.Tests.Sources;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Cli;

/// <summary>
/// Network inputs against real servers on 127.0.0.1: Debian's GStreamer RTSP server (../shared/tools/rtsp-server.py),
/// ffmpeg as an HTTP MJPEG server and as a UDP MPEG-TS sender. Without those tools a test says so and passes, except
/// under CI (env CI set), where it fails: scripts/setup.sh installs them.
/// </summary>
public sealed partial class LiveStreamTests(ITestOutputHelper output)
{
    private static string Video => TestData.Shared("data", "video", "vtest_10s.mp4");   // 768x576, 10 fps, 100 frames, H.264

    [Fact]
    public void Rtsp_reads_frames_and_never_shows_the_password()
    {
        if (!Have("rtsp")) return;
        var dir = TestData.TempDir();
        using var server = RtspServer.Start(Video);
        var url = $"rtsp://user:secret@127.0.0.1:{server.Port}/live";
        using var run = Running.Start(dir, "--input", url, "--json", "o.jsonl", "--max-frames", "30", "--verbose");
        Assert.True(run.Process.WaitForExit(120_000), "no exit");
        run.Process.WaitForExit();
        Assert.True(run.Process.ExitCode == 0, run.Stderr);
        var jsonl = File.ReadAllText(Path.Combine(dir, "o.jsonl"));
        foreach (var text in new[] { run.Stdout, run.Stderr, jsonl }) Assert.DoesNotContain("secret", text);
        var log = JsonLinesReader.ReadAll(Path.Combine(dir, "o.jsonl"));
        Assert.Equal($"rtsp://user:***@127.0.0.1:{server.Port}/live", log.Header.Input);
        Assert.Equal((768, 576), (log.Header.Width, log.Header.Height));
        Assert.NotEmpty(log.Frames);
        Assert.All(log.Frames, f => Assert.InRange(f.Frame, 0, 29));
        Assert.True(log.Frames.Zip(log.Frames.Skip(1)).All(p => p.Second.TimeMs > p.First.TimeMs), "time_ms not increasing");
        var summary = SummaryLine().Match(run.Stdout);
        Assert.True(summary.Success, run.Stdout);
        output.WriteLine($"{log.Frames.Count} of 30 frames through the pipeline; latency p50 {summary.Groups["p50"].Value} ms, p95 {summary.Groups["p95"].Value} ms");
        Assert.True(PipeMedia.GoneWithin(FfmpegPid(run.Stderr), TimeSpan.FromSeconds(2)));
    }

    /// <summary>The camera goes away for 4 s mid-run: the run reconnects, records the gap and reaches its frame count.</summary>
    [Fact]
    public void Rtsp_server_restarted_mid_run_is_reconnected_with_a_gap_record()
    {
        if (!Have("rtsp")) return;
        var dir = TestData.TempDir();
        var jsonl = Path.Combine(dir, "o.jsonl");
        var server = RtspServer.Start(Video);
        int port = server.Port;
        using var run = Running.Start(dir, "--input", $"rtsp://127.0.0.1:{port}/live", "--json", "o.jsonl", "--max-frames", "150");
        RtspServer? again = null;
        try
        {
            // Past frame 55 of the 100 the server sends per client, the second client's 100 reach 150.
            WaitFor(() => LastFrame(jsonl) >= 55 || run.Process.HasExited, TimeSpan.FromMinutes(2));
            Assert.False(run.Process.HasExited, run.Stderr);
            server.Dispose();
            var killed = Stopwatch.StartNew();
            Thread.Sleep(4000);
            again = RtspServer.Start(Video, port);
            Assert.True(run.Process.WaitForExit(120_000), "no exit");
            run.Process.WaitForExit();
            output.WriteLine($"server down 4 s; run ended {killed.Elapsed.TotalSeconds:F1} s after the kill");
        }
        finally
        {
            server.Dispose();
            again?.Dispose();
        }
        Assert.True(run.Process.ExitCode == 0, run.Stderr);
        Assert.Single(Regex.Matches(run.Stderr, "stream lost after frame"));
        Assert.Contains("reconnected", run.Stderr);

        var lines = File.ReadAllLines(jsonl);
        var gapLine = Assert.Single(lines, l => l.Contains("\"type\":\"gap\"", StringComparison.Ordinal));
        using var gap = JsonDocument.Parse(gapLine);
        double from = gap.RootElement.GetProperty("from_ms").GetDouble(), to = gap.RootElement.GetProperty("to_ms").GetDouble();
        Assert.True(to - from > 4000, $"gap {from}..{to}");
        Assert.Equal("the stream ended", gap.RootElement.GetProperty("reason").GetString());

        // The readers skip the gap: frame numbers keep increasing up to 149, times too, the gap lies between two frames.
        var log = JsonLinesReader.ReadAll(jsonl);
        Assert.Equal(149, log.Frames[^1].Frame);
        Assert.True(log.Frames.Zip(log.Frames.Skip(1)).All(p => p.Second.Frame > p.First.Frame && p.Second.TimeMs > p.First.TimeMs));
        Assert.Contains(log.Frames, f => f.TimeMs <= from);
        Assert.Contains(log.Frames, f => f.TimeMs >= to);
        int gapIndex = Array.IndexOf(lines, gapLine);
        Assert.True(JsonDocument.Parse(lines[gapIndex - 1]).RootElement.GetProperty("time_ms").GetDouble() <= from);
        Assert.True(JsonDocument.Parse(lines[gapIndex + 1]).RootElement.GetProperty("time_ms").GetDouble() >= to);
        var summary = SummaryLine().Match(run.Stdout);
        Assert.True(summary.Success, run.Stdout);
        Assert.Equal("1", summary.Groups["gaps"].Value);
        output.WriteLine($"gap {from:F0}..{to:F0} ms ({(to - from) / 1000:F1} s, about {(to - from) / 100:F0} frames at 10 fps not received); "
            + $"{log.Frames.Count} frames through the pipeline; latency p50 {summary.Groups["p50"].Value} ms, p95 {summary.Groups["p95"].Value} ms");

        // The shared comparison tool still reads a log with a gap record.
        if (FindOnPath("node") is not null)
        {
            var same = CliProcess.RunProgram("node", [TestData.Shared("tools", "same-results.js"), jsonl, jsonl], TimeSpan.FromMinutes(1));
            Assert.True(same.ExitCode == 0, same.Stdout + same.Stderr);
            Assert.StartsWith($"same frames={log.Frames.Count} ", same.Stdout);
        }
    }

    [Fact]
    public void Server_that_never_comes_back_ends_with_exit_2_and_one_error_line()
    {
        if (!Have("rtsp")) return;
        var dir = TestData.TempDir();
        var jsonl = Path.Combine(dir, "o.jsonl");
        using var server = RtspServer.Start(Video);
        using var run = Running.Start(dir, "--input", $"rtsp://127.0.0.1:{server.Port}/live", "--json", "o.jsonl", "--reconnect", "2", "-q");
        WaitFor(() => LastFrame(jsonl) >= 5 || run.Process.HasExited, TimeSpan.FromMinutes(2));
        server.Dispose();
        var watch = Stopwatch.StartNew();
        Assert.True(run.Process.WaitForExit(60_000), "still running a minute after the server went away");
        run.Process.WaitForExit();
        output.WriteLine($"exit {run.Process.ExitCode} {watch.Elapsed.TotalSeconds:F1} s after the server went away:\n{run.Stderr}");
        Assert.Equal(2, run.Process.ExitCode);
        var errors = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("posetrack: error:", StringComparison.Ordinal)).ToList();
        var error = Assert.Single(errors);
        Assert.Contains("did not come back after 2 reconnect attempts", error);
        Assert.Single(Regex.Matches(run.Stderr, "stream lost after frame"));
        foreach (var l in File.ReadAllLines(jsonl)) using (JsonDocument.Parse(l)) { }
    }

    [Fact]
    public void Camera_that_never_answers_with_reconnect_2_is_one_line_and_exit_2()
    {
        if (!Have("ffmpeg")) return;
        var dir = TestData.TempDir();
        var watch = Stopwatch.StartNew();
        var r = CliProcess.Run(dir, TimeSpan.FromMinutes(2), "--input", $"rtsp://127.0.0.1:{FreePort()}/live", "--json", "o.jsonl", "--reconnect", "2");
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(1), $"took {watch.Elapsed}");
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^posetrack: error: stream rtsp://127\.0\.0\.1:\d+/live cannot be opened after 3 attempts: .*Connection refused", line);
    }

    [Fact]
    public void Http_mjpeg_feed_is_read()
    {
        if (!Have("ffmpeg")) return;
        var dir = TestData.TempDir();
        int port = FreePort();
        // A single-client MJPEG server: posetrack must connect once (no probe), and retries until it listens.
        using var feed = Background.Start("ffmpeg", "-v", "error", "-nostdin", "-re", "-i", Video, "-c:v", "mjpeg", "-q:v", "5", "-f", "mpjpeg",
            "-listen", "1", $"http://127.0.0.1:{port}/feed");
        var r = CliProcess.Run(dir, TimeSpan.FromMinutes(2), "--input", $"http://127.0.0.1:{port}/feed", "--json", "o.jsonl",
            "--max-frames", "20", "--reconnect", "5", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var log = JsonLinesReader.ReadAll(Path.Combine(dir, "o.jsonl"));
        Assert.Equal((768, 576), (log.Header.Width, log.Header.Height));
        Assert.NotEmpty(log.Frames);
        Assert.Matches(SummaryLine(), r.Stdout);
    }

    [Fact]
    public void Udp_mpegts_from_an_ffmpeg_sender_is_read()
    {
        if (!Have("ffmpeg")) return;
        var dir = TestData.TempDir();
        int port = FreeUdpPort();
        // posetrack binds the port and waits for the first frame; the sender starts a moment later (what it sends
        // before the port is bound is lost, like a camera already streaming). A keyframe every second lets a late
        // reader start decoding.
        using var run = Running.Start(dir, "--input", $"udp://127.0.0.1:{port}", "--json", "o.jsonl", "--max-frames", "20", "-q");
        Thread.Sleep(1000);
        using var sender = Background.Start("ffmpeg", "-v", "error", "-nostdin", "-re", "-i", Video, "-c:v", "mpeg2video", "-q:v", "5", "-g", "10",
            "-f", "mpegts", $"udp://127.0.0.1:{port}?pkt_size=1316");
        Assert.True(run.Process.WaitForExit(120_000), "no exit");
        run.Process.WaitForExit();
        Assert.True(run.Process.ExitCode == 0, run.Stderr);
        var log = JsonLinesReader.ReadAll(Path.Combine(dir, "o.jsonl"));
        Assert.Equal((768, 576), (log.Header.Width, log.Header.Height));
        Assert.NotEmpty(log.Frames);
    }

    /// <summary>
    /// Issue 17: a live stream whose server accepts, sends a few frames and then stops sending (the ffmpeg MJPEG server
    /// is frozen with SIGSTOP) does not hold back a file stream in the same process: the file stream writes the same
    /// results as its own single run, the stalled one is named as failed, and the exit code says a stream failed.
    /// </summary>
    [Fact]
    public void A_stalled_live_stream_does_not_stop_a_file_stream_in_the_same_process()
    {
        if (!Have("ffmpeg")) return;
        var dir = TestData.TempDir();
        int port = FreePort();
        using var feed = Background.Start("ffmpeg", "-v", "error", "-nostdin", "-re", "-i", Video, "-c:v", "mjpeg", "-q:v", "5", "-f", "mpjpeg",
            "-listen", "1", $"http://127.0.0.1:{port}/feed");
        File.WriteAllLines(Path.Combine(dir, "sources.txt"), [$"feed http://127.0.0.1:{port}/feed", $"file {Video}"]);
        // --reconnect 2 retries the first connection while the server starts, and bounds the wait once it stalls.
        using var run = Running.Start(dir, "--sources", "sources.txt", "--json", "{name}.jsonl", "--max-frames", "60",
            "--stall-timeout", "2", "--reconnect", "2", "-q");
        WaitFor(() => LastFrame(Path.Combine(dir, "feed.jsonl")) >= 3 || run.Process.HasExited, TimeSpan.FromMinutes(2));
        Assert.False(run.Process.HasExited, run.Stderr);
        long fileFramesAtStall = LastFrame(Path.Combine(dir, "file.jsonl")) + 1;
        using (var stop = Process.Start(new ProcessStartInfo("kill", ["-STOP", feed.Pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!) stop.WaitForExit();
        try
        {
            Assert.True(run.Process.WaitForExit(240_000), "no exit");
            run.Process.WaitForExit();
        }
        finally
        {
            using var cont = Process.Start(new ProcessStartInfo("kill", ["-CONT", feed.Pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
            cont.WaitForExit();
        }
        output.WriteLine($"exit {run.Process.ExitCode}; the file stream had {fileFramesAtStall} of 60 frames when the feed stalled\n{run.Stdout}\n{run.Stderr}");
        Assert.Equal(2, run.Process.ExitCode);
        var summary = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("state=done", summary.Single(l => l.StartsWith("stream=file ", StringComparison.Ordinal)));
        Assert.Contains("frames=60 ", summary.Single(l => l.StartsWith("stream=file ", StringComparison.Ordinal)));
        Assert.Contains("state=failed", summary.Single(l => l.StartsWith("stream=feed ", StringComparison.Ordinal)));
        Assert.Contains("posetrack: error: stream feed: ", run.Stderr);
        Assert.Contains("1 of 2 streams failed: feed", run.Stderr);
        // The feed's log keeps the frames it had, whole; the file stream's equals its own single run.
        Assert.NotEmpty(JsonLinesReader.ReadAll(Path.Combine(dir, "feed.jsonl")).Frames);
        var single = CliProcess.Run(dir, TimeSpan.FromMinutes(4), "--input", Video, "--json", "single.jsonl", "--max-frames", "60", "-q");
        Assert.True(single.ExitCode == 0, single.Stderr);
        var same = CliProcess.RunProgram("node", [TestData.Shared("tools", "same-results.js"), "single.jsonl", "file.jsonl"], TimeSpan.FromMinutes(1), dir);
        Assert.True(same.ExitCode == 0, same.Stdout + same.Stderr);
        Assert.StartsWith("same frames=60 ", same.Stdout);
    }

    /// <summary>However posetrack ends, the ffmpeg child reading the stream ends with it (checked by pid).</summary>
    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    [InlineData("KILL")]
    public void No_ffmpeg_child_outlives_posetrack(string signal)
    {
        if (!Have("rtsp")) return;
        var dir = TestData.TempDir();
        using var server = RtspServer.Start(Video);
        using var run = Running.Start(dir, "--input", $"rtsp://127.0.0.1:{server.Port}/live", "--json", "o.jsonl", "--verbose");
        int pid = 0;
        WaitFor(() => (pid = PidOrZero(run.Stderr)) != 0 || run.Process.HasExited, TimeSpan.FromMinutes(1));
        WaitFor(() => LastFrame(Path.Combine(dir, "o.jsonl")) >= 3 || run.Process.HasExited, TimeSpan.FromMinutes(2));
        Assert.False(run.Process.HasExited, run.Stderr);
        Assert.True(PipeMedia.FfmpegAlive(pid));
        using (var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", run.Process.Id.ToString()]) { UseShellExecute = false })!) kill.WaitForExit();
        Assert.True(run.Process.WaitForExit(30_000), $"no exit after SIG{signal}");
        Assert.True(PipeMedia.GoneWithin(pid, TimeSpan.FromSeconds(5)), $"ffmpeg {pid} outlived posetrack (SIG{signal})");
        if (signal != "KILL") Assert.Equal(130, run.Process.ExitCode);
    }

    // ---- helpers ----

    [GeneratedRegex(@"gaps=(?<gaps>\d+) latency_p50_ms=(?<p50>\d+) latency_p95_ms=(?<p95>\d+)")]
    private static partial Regex SummaryLine();

    [GeneratedRegex(@"ffmpeg pid (\d+)")]
    private static partial Regex PidLine();

    private static int PidOrZero(string stderr) => PidLine().Match(stderr) is { Success: true } m ? int.Parse(m.Groups[1].Value) : 0;

    private static int FfmpegPid(string stderr)
    {
        int pid = PidOrZero(stderr);
        Assert.True(pid != 0, "no 'ffmpeg pid' line in the --verbose log:\n" + stderr);
        return pid;
    }

    /// <summary>
    /// True when the tools are here: "ffmpeg", or "rtsp" (ffmpeg and the GStreamer RTSP server). Otherwise false
    /// with a note (a developer machine without them), or a failure under CI.
    /// </summary>
    private bool Have(string what)
    {
        var missing = new List<string>();
        if (FindOnPath("ffmpeg") is null) missing.Add("ffmpeg");
        if (what == "rtsp" && !RtspServer.Available) missing.Add("python3-gst-1.0, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-good/-bad");
        if (missing.Count == 0) return true;
        var message = $"missing {string.Join(", ", missing)} (scripts/setup.sh installs them)";
        Assert.True(Environment.GetEnvironmentVariable("CI") is null, $"CI is set but this test's tools are missing: {message}");
        output.WriteLine("not checked: " + message);
        return false;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static int FreeUdpPort()
    {
        using var u = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)u.Client.LocalEndPoint!).Port;
    }

    /// <summary>Frame number of the last complete frame line of a JSON lines file, or -1.</summary>
    private static long LastFrame(string path)
    {
        try
        {
            if (!File.Exists(path)) return -1;
            var text = File.ReadAllText(path);
            var m = Regex.Matches(text, "\"frame\":(\\d+)");
            return m.Count == 0 ? -1 : long.Parse(m[^1].Groups[1].Value);
        }
        catch (IOException) { return -1; }
    }

    private static void WaitFor(Func<bool> condition, TimeSpan within)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > within) throw new TimeoutException("condition not reached");
            Thread.Sleep(50);
        }
    }

    /// <summary>posetrack started without waiting, its output collected as it comes; killed if still running at the end.</summary>
    private sealed class Running : IDisposable
    {
        private readonly StringBuilder _out = new(), _err = new();
        public Process Process { get; }
        public string Stdout { get { lock (_out) return _out.ToString(); } }
        public string Stderr { get { lock (_err) return _err.ToString(); } }

        private Running(Process p)
        {
            Process = p;
            p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.AppendLine(e.Data); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
        }

        public static Running Start(string dir, params string[] args) => new(CliProcess.Start(dir, args));

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    /// <summary>A helper program (ffmpeg server or sender) run for the length of a test, then killed by its pid.</summary>
    private sealed class Background : IDisposable
    {
        private readonly Process _p;
        private Background(Process p) => _p = p;
        public int Pid => _p.Id;

        public static Background Start(string program, params string[] args)
        {
            var psi = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            var p = Process.Start(psi)!;
            p.StandardInput.Close();
            p.BeginErrorReadLine();
            p.BeginOutputReadLine();
            return new Background(p);
        }

        public void Dispose()
        {
            try { if (!_p.HasExited) _p.Kill(); } catch (InvalidOperationException) { }
            _p.WaitForExit(10_000);
            _p.Dispose();
        }
    }

    /// <summary>../shared/tools/rtsp-server.py on a free port of 127.0.0.1; Dispose kills it (the camera going away).</summary>
    private sealed class RtspServer : IDisposable
    {
        private readonly Process _p;
        private bool _disposed;
        public int Port { get; }

        private RtspServer(Process p, int port) { _p = p; Port = port; }

        public static bool Available
        {
            get
            {
                if (!File.Exists("/usr/bin/python3")) return false;
                var r = CliProcess.RunProgram("/usr/bin/python3", ["-c", "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"],
                    TimeSpan.FromSeconds(30));
                return r.ExitCode == 0;
            }
        }

        public static RtspServer Start(string file, int? port = null)
        {
            int p = port ?? FreePort();
            var psi = new ProcessStartInfo("/usr/bin/python3", [TestData.Shared("tools", "rtsp-server.py"), file, p.ToString()])
                { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            var process = Process.Start(psi)!;
            process.StandardInput.Close();
            process.BeginErrorReadLine();
            // It prints its URL once it listens.
            var line = process.StandardOutput.ReadLineAsync();
            if (!line.Wait(TimeSpan.FromSeconds(30)) || line.Result is null)
            {
                process.Kill();
                throw new InvalidOperationException("rtsp-server.py did not start");
            }
            return new RtspServer(process, p);
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            try { if (!_p.HasExited) _p.Kill(); } catch (InvalidOperationException) { }
            _p.WaitForExit(10_000);
            _p.Dispose();
        }
    }
}
