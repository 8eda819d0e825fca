using System.Diagnostics;
using System.Globalization;

namespace PoseTrack.Tests.Sources;

/// <summary>
/// Streams for the pipe tests, cut with Debian's ffmpeg from the shared sample video, and the checks around them
/// (ffprobe's frame count, named pipes, whether a process is still alive). A missing ffmpeg or ../shared fails the
/// test (never skips), with or without CI.
/// </summary>
internal static class PipeMedia
{
    /// <summary>The first <paramref name="seconds"/> of vtest_10s.mp4 (10 fps, 768x576) remuxed into <paramref name="format"/>.</summary>
    public static string Clip(string dir, string format, double seconds = 2)
    {
        var source = TestData.Shared("data", "video", "vtest_10s.mp4");
        var path = Path.Combine(dir, $"clip-{seconds.ToString(CultureInfo.InvariantCulture)}s.{format}");
        if (File.Exists(path)) return path;
        var r = CliProcess.RunProgram("ffmpeg", ["-v", "error", "-nostdin", "-y", "-i", source, "-t", seconds.ToString(CultureInfo.InvariantCulture),
            "-map", "0:v:0", "-c", "copy", "-f", format, path], TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 0, $"ffmpeg could not write the {format} clip: {r.Stderr}");
        return path;
    }

    /// <summary>Frames that decode in <paramref name="path"/>, counted by ffprobe.</summary>
    public static int CountFrames(string path)
    {
        var r = CliProcess.RunProgram("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
            "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path], TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 0, $"ffprobe failed on {path}: {r.Stderr}");
        return int.Parse(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .First(l => l.Length > 0).TrimEnd(','), CultureInfo.InvariantCulture);
    }

    /// <summary>Makes a named pipe (mkfifo) in <paramref name="dir"/>.</summary>
    public static string Fifo(string dir, string name = "in.fifo")
    {
        var path = Path.Combine(dir, name);
        var r = CliProcess.RunProgram("mkfifo", [path], TimeSpan.FromSeconds(30));
        Assert.True(r.ExitCode == 0, $"mkfifo failed: {r.Stderr}");
        return path;
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> of <paramref name="file"/> (all by default) into the FIFO, then closes it, or
    /// with <paramref name="holdOpen"/> keeps it open (a stalled writer) until the returned handle is disposed.
    /// </summary>
    public static FifoWriter Write(string fifo, string file, long? bytes = null, bool holdOpen = false) => new(fifo, file, bytes, holdOpen);

    public sealed class FifoWriter : IDisposable
    {
        private readonly ManualResetEventSlim _release = new(false);
        private readonly Task _task;
        private readonly string _fifo;

        public FifoWriter(string fifo, string file, long? bytes, bool holdOpen)
        {
            _fifo = fifo;
            _task = Task.Factory.StartNew(() =>
            {
                try
                {
                    // Opening a FIFO for writing blocks until a reader opens it.
                    using var output = new FileStream(fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
                    var data = File.ReadAllBytes(file);
                    output.Write(data, 0, (int)Math.Min(bytes ?? data.Length, data.Length));
                    output.Flush();
                    if (holdOpen) _release.Wait(TimeSpan.FromMinutes(3));
                }
                catch (IOException) { /* the reader went away */ }
            }, TaskCreationOptions.LongRunning);
        }

        public void Dispose()
        {
            _release.Set();
            // A writer still waiting for a reader to open the FIFO is released by opening it for reading once.
            if (_task.Wait(TimeSpan.FromSeconds(2))) return;
            using (var reader = new FileStream(_fifo, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1)) reader.CopyTo(Stream.Null);
            _task.Wait(TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>True while <paramref name="pid"/> is a live (not zombie) process called ffmpeg.</summary>
    public static bool FfmpegAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // "pid (comm) state ..."
            int close = stat.LastIndexOf(')');
            var comm = stat[(stat.IndexOf('(') + 1)..close];
            var state = stat[(close + 2)..].Split(' ')[0];
            return comm == "ffmpeg" && state != "Z" && state != "X";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Waits up to <paramref name="within"/> for ffmpeg <paramref name="pid"/> to be gone.</summary>
    public static bool GoneWithin(int pid, TimeSpan within)
    {
        var sw = Stopwatch.StartNew();
        while (FfmpegAlive(pid))
        {
            if (sw.Elapsed > within) return false;
            Thread.Sleep(50);
        }
        return true;
    }
}
