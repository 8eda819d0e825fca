using Xunit.Abstractions;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Sources;

namespace PoseTrack.Tests.Sources;

/// <summary>The ffmpeg-backed pipe source, read through a named pipe (the test process's own stdin is not a stream).</summary>
public sealed class FfmpegSourceTests(ITestOutputHelper output)
{
    [Theory]
    // ffmpeg 5.1's output stream line for the sample video, and variants.
    [InlineData("Stream #0:0: Video: rawvideo (BGR[24] / 0x18524742), bgr24(pc, gbr/unknown/unknown, progressive), 768x576, q=2-31, 106168 kb/s, 10 fps, 10 tbn (default)", 768, 576, 10.0)]
    [InlineData("Stream #0:0: Video: rawvideo (BGR[24] / 0x18524742), bgr24(pc, gbr/unknown/unknown, progressive), 640x425 [SAR 1:1 DAR 128:85], q=2-31, 163200 kb/s, 25 fps, 25 tbn", 640, 425, 25.0)]
    [InlineData("Stream #0:0: Video: rawvideo (BGR[24] / 0x18524742), bgr24, 1920x1080, 29.97 fps, 29.97 tbn", 1920, 1080, 30000.0 / 1001)]
    [InlineData("Stream #0:0: Video: rawvideo (BGR[24] / 0x18524742), bgr24, 1280x720, 23.98 fps, 23.98 tbn", 1280, 720, 24000.0 / 1001)]
    [InlineData("Stream #0:0: Video: rawvideo (BGR[24] / 0x18524742), bgr24, 320x240, 12.5 fps, 12.5 tbn", 320, 240, 12.5)]
    // No rate: the fallback (25).
    [InlineData("Stream #0:0: Video: rawvideo (BGR[24] / 0x18524742), bgr24, 320x240, q=2-31", 320, 240, 25.0)]
    public void Parses_the_size_and_rate_from_ffmpegs_stream_line(string line, int width, int height, double fps)
    {
        var parsed = FfmpegSource.ParseStream(line);
        Assert.NotNull(parsed);
        Assert.Equal(width, parsed.Value.Width);
        Assert.Equal(height, parsed.Value.Height);
        Assert.Equal(fps, parsed.Value.Fps, 9);
    }

    [Fact]
    public void The_codec_tag_is_not_taken_for_a_size() =>
        Assert.Null(FfmpegSource.ParseStream("Stream #0:0: Video: rawvideo (BGR[24] / 0x18524742), bgr24, q=2-31"));

    [Theory]
    [InlineData("-", true)]
    [InlineData("pipe:", true)]
    [InlineData("pipe:0", true)]
    [InlineData("./-", false)]
    [InlineData("pipe:1", false)]
    public void Names_of_standard_input(string input, bool stdin) => Assert.Equal(stdin, FfmpegSource.IsStdin(input));

    [Fact]
    public void A_fifo_is_told_from_files_and_folders()
    {
        var dir = TestData.TempDir();
        var fifo = PipeMedia.Fifo(dir);
        File.WriteAllText(Path.Combine(dir, "plain"), "x");
        Assert.True(FrameSources.IsFifo(fifo));
        Assert.False(FrameSources.IsFifo(Path.Combine(dir, "plain")));
        Assert.False(FrameSources.IsFifo(dir));
        Assert.False(FrameSources.IsFifo(Path.Combine(dir, "missing")));
    }

    [Theory]
    [InlineData("matroska")]
    [InlineData("mpegts")]
    [InlineData("nut")]
    public void A_fifo_gives_every_frame_with_the_streams_size_rate_and_times(string format)
    {
        var dir = TestData.TempDir();
        var clip = PipeMedia.Clip(dir, format);
        int expected = PipeMedia.CountFrames(clip);
        var fifo = PipeMedia.Fifo(dir);
        using var writer = PipeMedia.Write(fifo, clip);

        using var source = FrameSources.Open(fifo);
        var ffmpeg = Assert.IsType<FfmpegSource>(source);
        Assert.Equal(new SourceInfo(fifo, 768, 576, 10, null, IsLive: false), source.Info);
        var (frames, times) = VideoFileSourceTests.ReadAll(source, 768, 576);
        Assert.Equal(expected, frames);
        Assert.Equal(Enumerable.Range(0, frames).Select(i => i * 100.0), times);
        Assert.Null(ffmpeg.EarlyEnd);
        Assert.Equal(0, ffmpeg.ExitCode);
        Assert.False(source.Read(new Mat(), out _));   // stays ended
        source.Dispose();
        Assert.True(PipeMedia.GoneWithin(ffmpeg.ProcessId, TimeSpan.FromSeconds(5)), "ffmpeg outlived the source");
    }

    /// <summary>
    /// The same clip read through the FIFO (Debian's ffmpeg) and as a file (OpenCV's bundled FFmpeg): H.264 decoding
    /// is bit-exact, so any difference comes from the YUV→BGR conversion (both swscale, different versions).
    /// </summary>
    [Fact]
    public void Frames_match_the_file_reader_within_colour_conversion_rounding()
    {
        var dir = TestData.TempDir();
        var clip = PipeMedia.Clip(dir, "matroska");
        var fifo = PipeMedia.Fifo(dir);
        using var writer = PipeMedia.Write(fifo, clip);
        using var pipe = FrameSources.Open(fifo);
        using var file = new VideoFileSource(clip);
        using Mat a = new(), b = new(), diff = new();
        double worstMax = 0, worstMean = 0;
        int n = 0;
        while (pipe.Read(a, out _))
        {
            Assert.True(file.Read(b, out _), $"the file ended before frame {n}");
            Cv2.Absdiff(a, b, diff);
            Cv2.MinMaxLoc(diff.Reshape(1), out _, out double max);
            var mean = Cv2.Mean(diff);
            worstMax = Math.Max(worstMax, max);
            worstMean = Math.Max(worstMean, (mean.Val0 + mean.Val1 + mean.Val2) / 3);
            n++;
        }
        Assert.False(file.Read(b, out _), "the pipe ended before the file");
        output.WriteLine($"{n} frames: worst per-pixel difference {worstMax}, worst frame mean {worstMean:F4} (levels of 255)");
        Assert.Equal(PipeMedia.CountFrames(clip), n);
        // Measured with ffmpeg 5.1 (Debian 12) against OpenCvSharp 4.13's FFmpeg 7.1: at most 3 levels on a pixel,
        // 0.71 on a frame's mean.
        Assert.True(worstMax <= 4, $"max difference {worstMax}");
        Assert.True(worstMean < 1, $"mean difference {worstMean}");
    }

    [Fact]
    public void Frames_go_into_the_callers_buffer_when_it_fits_and_through_a_pooled_one_when_not()
    {
        var dir = TestData.TempDir();
        var clip = PipeMedia.Clip(dir, "nut");
        string fifoA = PipeMedia.Fifo(dir, "a.fifo"), fifoB = PipeMedia.Fifo(dir, "b.fifo");
        using var writerA = PipeMedia.Write(fifoA, clip);
        using var writerB = PipeMedia.Write(fifoB, clip);
        using var a = FrameSources.Open(fifoA);
        using var b = FrameSources.Open(fifoB);

        using var frame = new Mat(576, 768, MatType.CV_8UC3);
        var data = frame.Data;
        // A view into a larger image is not continuous: the frame is read through a pooled buffer and copied in.
        using var big = new Mat(600, 800, MatType.CV_8UC3, Scalar.All(7));
        using var view = new Mat(big, new Rect(10, 10, 768, 576));
        Assert.False(view.IsContinuous());
        for (int i = 0; i < 3; i++)
        {
            Assert.True(a.Read(frame, out _));
            Assert.Equal(data, frame.Data);    // the caller's buffer, reused
            Assert.True(b.Read(view, out _));
            Assert.Equal(view.Data, new Mat(big, new Rect(10, 10, 768, 576)).Data);
            using var d = new Mat();
            Cv2.Absdiff(frame, view, d);
            Assert.Equal(0, Cv2.CountNonZero(d.Reshape(1)));
        }
        Assert.Equal(new Vec3b(7, 7, 7), big.At<Vec3b>(0, 0));   // outside the view: untouched
    }

    [Fact]
    public void Dispose_ends_ffmpeg()
    {
        var dir = TestData.TempDir();
        var clip = PipeMedia.Clip(dir, "matroska");
        var fifo = PipeMedia.Fifo(dir);
        using var writer = PipeMedia.Write(fifo, clip, holdOpen: true);
        var source = (FfmpegSource)FrameSources.Open(fifo);
        using var frame = new Mat();
        Assert.True(source.Read(frame, out _));
        Assert.True(PipeMedia.FfmpegAlive(source.ProcessId));
        source.Dispose();
        Assert.True(PipeMedia.GoneWithin(source.ProcessId, TimeSpan.FromSeconds(5)), "ffmpeg outlived Dispose");
        Assert.False(source.Read(frame, out _));
    }

    [Fact]
    public void Garbage_fails_at_open_with_ffmpegs_error_line()
    {
        var dir = TestData.TempDir();
        var junk = Path.Combine(dir, "junk.bin");
        File.WriteAllBytes(junk, Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7919 % 251)).ToArray());
        var fifo = PipeMedia.Fifo(dir);
        using var writer = PipeMedia.Write(fifo, junk);
        var e = Assert.Throws<PoseTrackException>(() => FrameSources.Open(fifo));
        output.WriteLine(e.Message);
        Assert.Contains("ffmpeg cannot read it", e.Message);
        Assert.Contains("Invalid data found when processing input", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void A_missing_ffmpeg_names_the_package()
    {
        var e = Assert.Throws<PoseTrackException>(() => new FfmpegSource("in.mkv", ["-i", "in.mkv"], readsStdin: false,
            ffmpegPath: Path.Combine(TestData.TempDir(), "no-ffmpeg-here")));
        Assert.Contains("apt-get install -y ffmpeg", e.Message);
    }

    [Fact]
    public void Cancelling_while_waiting_for_a_writer_ends_ffmpeg()
    {
        var dir = TestData.TempDir();
        var fifo = PipeMedia.Fifo(dir);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var started = DateTime.UtcNow;
        Assert.Throws<OperationCanceledException>(() => FrameSources.Open(fifo, null, cts.Token));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
        // ffmpeg was blocked opening the FIFO; no ffmpeg on this FIFO is left.
        Assert.DoesNotContain(Directory.EnumerateDirectories("/proc").Select(Path.GetFileName),
            p => int.TryParse(p, out var pid) && PipeMedia.FfmpegAlive(pid) && Cmdline(pid).Contains(fifo));
    }

    [Fact]
    public async Task Stop_ends_ffmpeg_blocked_on_a_stalled_writer_and_the_blocked_read()
    {
        var dir = TestData.TempDir();
        var clip = PipeMedia.Clip(dir, "nut", seconds: 6);
        var fifo = PipeMedia.Fifo(dir);
        // Most of the clip, then the writer stalls with the FIFO open: ffmpeg waits for more input. (ffmpeg only
        // starts its output once it has probed about 20 frames: with half of a 2 s clip it would wait for the end.)
        using var writer = PipeMedia.Write(fifo, clip, bytes: new FileInfo(clip).Length * 85 / 100, holdOpen: true);
        using var stop = new CancellationTokenSource();
        var source = (FfmpegSource)FrameSources.Open(fifo, null, stop.Token);
        using var frame = new Mat();
        int n = 0;
        var reading = Task.Run(() => { while (source.Read(frame, out _)) n++; });
        await Task.Delay(1500);
        Assert.False(reading.IsCompleted, "the read should be waiting for the stalled writer");
        Assert.True(PipeMedia.FfmpegAlive(source.ProcessId));
        stop.Cancel();
        Assert.True(await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(10))) == reading, "the blocked read did not return after stop");
        Assert.InRange(n, 1, PipeMedia.CountFrames(clip) - 1);
        Assert.Null(source.EarlyEnd);   // ended on purpose: not a failure
        Assert.True(PipeMedia.GoneWithin(source.ProcessId, TimeSpan.FromSeconds(5)));
        source.Dispose();
    }

    private static string Cmdline(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); }
        catch (IOException) { return ""; }
    }
}
