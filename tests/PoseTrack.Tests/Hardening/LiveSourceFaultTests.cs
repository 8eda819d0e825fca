using System.Diagnostics;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Pipeline;
using PoseTrack.Sinks;
using PoseTrack.Sources;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Hardening;

/// <summary>
/// A live source that stops delivering frames. There is no camera and no network-capable FFmpeg here, so the
/// source is a stand-in with the same contract as <see cref="CameraSource"/>: live, frames from a real video, then
/// either the error CameraSource throws when the device is gone, or a read that blocks (a hung device or stream).
/// </summary>
public sealed class LiveSourceFaultTests(ITestOutputHelper output)
{
    private sealed class FakeLiveSource(string video, int framesBeforeFault, bool hang) : IFrameSource
    {
        private readonly VideoCapture _capture = new(video);
        private int _read;
        public SemaphoreSlim Hung { get; } = new(0);
        public SourceInfo Info => new("camera 0 (simulated)", _capture.FrameWidth, _capture.FrameHeight, 25, null, IsLive: true);

        public bool Read(Mat frame, out double timeMs)
        {
            timeMs = _read * 40.0;
            if (_read == framesBeforeFault)
            {
                if (!hang) throw new PoseTrackException("camera 0 stopped delivering frames (disconnected or in use)");
                Hung.Release();
                Thread.Sleep(TimeSpan.FromSeconds(20));   // a V4L2 read waits up to 10 s; a stream without a timeout longer
                throw new PoseTrackException("camera 0 stopped delivering frames (disconnected or in use)");
            }
            if (!_capture.Read(frame) || frame.Empty()) throw new InvalidOperationException("test video too short");
            _read++;
            Thread.Sleep(5);   // a camera's pace, so the pipeline keeps up and drops nothing
            return true;
        }

        public void Dispose() => _capture.Dispose();
    }

    private static (JsonLinesSink Json, VideoFileSink Video) Sinks(string dir, SourceInfo info) =>
        (new JsonLinesSink(Path.Combine(dir, "out.jsonl"), JsonLinesHeader.For(info, "rtmdet-nano", "pose", Skeleton.Coco17)),
         new VideoFileSink(Path.Combine(dir, "out.mkv"), info.Width, info.Height, info.Fps));

    [Fact]
    public async Task ACameraThatStopsDeliveringFrames_EndsTheRunWithItsError_AndKeepsEveryFrameBefore()
    {
        var dir = TestData.TempDir();
        using var estimator = PoseEstimator.Create(new PoseEstimatorOptions { ModelsDirectory = TestData.ModelsDir });
        using var source = new FakeLiveSource(TestData.Shared("data", "video", "vtest_10s.mp4"), 15, hang: false);
        var (json, video) = Sinks(dir, source.Info);
        using (json) using (video)
        {
            var run = new PosePipeline(estimator, new PipelineOptions { DropFrames = DropFramesMode.Off }).RunAsync(source, [json, video]);
            Assert.Same(run, await Task.WhenAny(run, Task.Delay(TimeSpan.FromMinutes(2))));
            var error = await Assert.ThrowsAsync<PoseTrackException>(() => run);
            Assert.Contains("stopped delivering frames", error.Message);
        }
        var content = JsonLinesReader.ReadAll(Path.Combine(dir, "out.jsonl"));
        Assert.Equal(15, content.Frames.Count);
        Assert.Equal(15, VideoProbe.Frames(Path.Combine(dir, "out.mkv")));
    }

    [Fact]
    public async Task AbortWhileTheSourceIsBlockedInARead_ReturnsWithoutWaitingForTheRead()
    {
        var dir = TestData.TempDir();
        using var estimator = PoseEstimator.Create(new PoseEstimatorOptions { ModelsDirectory = TestData.ModelsDir });
        using var source = new FakeLiveSource(TestData.Shared("data", "video", "vtest_10s.mp4"), 10, hang: true);
        var (json, video) = Sinks(dir, source.Info);
        using var stop = new CancellationTokenSource();
        using var abort = new CancellationTokenSource();
        using (json) using (video)
        {
            var run = new PosePipeline(estimator, new PipelineOptions { DropFrames = DropFramesMode.Off })
                .RunAsync(source, [json, video], stop: stop.Token, abort: abort.Token);
            Assert.True(await source.Hung.WaitAsync(TimeSpan.FromMinutes(1)), "the source never reached its hang");
            // The frames read before the hang reach the outputs while the source stays blocked.
            var until = DateTime.UtcNow.AddMinutes(1);
            while (JsonLinesReader.ReadAll(Path.Combine(dir, "out.jsonl")).Frames.Count < 10 && DateTime.UtcNow < until) await Task.Delay(50);
            var clock = Stopwatch.StartNew();
            stop.Cancel();            // first Ctrl+C
            abort.Cancel();           // second Ctrl+C: "stops at once"
            var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60)));
            clock.Stop();
            output.WriteLine($"returned {clock.Elapsed.TotalSeconds:F1} s after abort");
            Assert.Same(run, finished);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
            // The blocked read lasts 20 s: well under that means the run did not wait for it (with room for a busy machine).
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(12), $"the run waited {clock.Elapsed.TotalSeconds:F1} s for the blocked read");
        }
        Assert.Equal(10, JsonLinesReader.ReadAll(Path.Combine(dir, "out.jsonl")).Frames.Count);
    }
}
