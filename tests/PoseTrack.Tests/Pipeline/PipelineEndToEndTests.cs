using System.Text.Json;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Pipeline;
using PoseTrack.Sinks;
using PoseTrack.Sources;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Pipeline;

/// <summary>The whole streaming pipeline on real videos, with real outputs written and read back.</summary>
public sealed class PipelineEndToEndTests(ITestOutputHelper output)
{
    private static PoseEstimator NewEstimator() => PoseEstimator.Create(new PoseEstimatorOptions { ModelsDirectory = TestData.ModelsDir });

    private static async Task<PipelineSummary> RunAsync(string video, string dir, PipelineOptions? options = null,
        CancellationToken stop = default, IFrameSink? extra = null)
    {
        using var estimator = NewEstimator();
        using var source = FrameSources.Open(video);
        var info = source.Info;
        using var json = new JsonLinesSink(Path.Combine(dir, "out.jsonl"), JsonLinesHeader.For(info, estimator.DetectorName, estimator.PoseModelName, estimator.Skeleton));
        using var videoSink = new VideoFileSink(Path.Combine(dir, "out.mp4"), info.Width, info.Height, info.Fps);
        var sinks = new List<IFrameSink> { json, videoSink };
        if (extra is not null) sinks.Add(extra);
        return await new PosePipeline(estimator, options).RunAsync(source, sinks, stop: stop);
    }

    private static (int Frames, int Width, int Height) Probe(string video)
    {
        var v = VideoProbe.Read(video);
        return (v.DecodedFrames, v.Width, v.Height);
    }

    [Theory]
    [InlineData("vtest_10s.mp4")]
    [InlineData("mmpose_demo.mp4")]
    public async Task Video_WritesOneAnnotatedFrameAndOneJsonLinePerInputFrame(string name)
    {
        var video = TestData.Shared("data", "video", name);
        var dir = TestData.TempDir();
        var summary = await RunAsync(video, dir);
        var input = Probe(video);
        var written = Probe(Path.Combine(dir, "out.mp4"));
        output.WriteLine($"{name}: {summary.Frames} frames, {summary.TracksSeen} tracks, {summary.MeanFps:F1} fps");

        Assert.Equal(input.Frames, summary.Frames);
        Assert.Equal(input, written);
        var content = JsonLinesReader.ReadAll(Path.Combine(dir, "out.jsonl"));
        Assert.False(content.PartialLastLine);
        Assert.Equal(input.Frames, content.Frames.Count);
        Assert.Equal(Enumerable.Range(0, input.Frames).Select(i => (long)i), content.Frames.Select(f => f.Frame));
        var ids = content.Frames.SelectMany(f => f.Persons).Select(p => p.TrackId).ToList();
        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.True(id is > 0, "every written person has a track id"));
        // Ids are never reused inside a frame.
        Assert.All(content.Frames, f => Assert.Equal(f.Persons.Count, f.Persons.Select(p => p.TrackId).Distinct().Count()));
        // Every line is plain JSON a generic parser reads.
        foreach (var line in File.ReadLines(Path.Combine(dir, "out.jsonl"))) using (JsonDocument.Parse(line)) { }
    }

    [Fact]
    public async Task RunningTwice_GivesIdenticalFrames()
    {
        var video = TestData.Shared("data", "video", "vtest_10s.mp4");
        var a = TestData.TempDir(); var b = TestData.TempDir();
        var options = new PipelineOptions { MaxFrames = 40 };
        await RunAsync(video, a, options);
        await RunAsync(video, b, options);
        // The header holds a creation time; every frame line must match byte for byte.
        var la = TestData.LogLines(Path.Combine(a, "out.jsonl")).Skip(1).ToArray();
        var lb = TestData.LogLines(Path.Combine(b, "out.jsonl")).Skip(1).ToArray();
        Assert.Equal(40, la.Length);
        Assert.Equal(la, lb);
    }

    [Fact]
    public async Task StoppingMidVideo_LeavesAPlayableVideoAndValidJsonOfTheFramesDone()
    {
        var video = TestData.Shared("data", "video", "vtest_10s.mp4");
        var dir = TestData.TempDir();
        using var stop = new CancellationTokenSource();
        var stopper = new CallbackSink(frame => { if (frame == 30) stop.Cancel(); });
        var summary = await RunAsync(video, dir, stop: stop.Token, extra: stopper);
        Assert.True(summary.Stopped);
        Assert.InRange(summary.Frames, 31, 99);
        var written = Probe(Path.Combine(dir, "out.mp4"));
        Assert.Equal(summary.Frames, written.Frames);
        var content = JsonLinesReader.ReadAll(Path.Combine(dir, "out.jsonl"));
        Assert.Equal(summary.Frames, content.Frames.Count);
    }

    [Fact]
    public async Task ASlowSink_HoldsThePipelineBack_WithoutDeadlockOrLoss()
    {
        var video = TestData.Shared("data", "video", "vtest_10s.mp4");
        var dir = TestData.TempDir();
        var slow = new CallbackSink(_ => Thread.Sleep(15));
        var run = RunAsync(video, dir, new PipelineOptions { ChannelCapacity = 1, MaxFrames = 60 }, extra: slow);
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromMinutes(2)));
        Assert.Same(run, finished);
        Assert.Equal(60, (await run).Frames);
        Assert.Equal(60, slow.Frames);
    }

    [Fact]
    public async Task AFailingStage_StopsThePipelineWithItsError_AndTheOutputsAreFinalised()
    {
        var video = TestData.Shared("data", "video", "vtest_10s.mp4");
        var dir = TestData.TempDir();
        var failing = new CallbackSink(frame => { if (frame == 20) throw new InvalidOperationException("injected sink failure"); });
        var run = RunAsync(video, dir, extra: failing);
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromMinutes(2)));
        Assert.Same(run, finished);
        var error = await Assert.ThrowsAsync<PipelineException>(() => run);
        Assert.Contains("injected sink failure", error.Message);
        // The frames before the fault are on disk and readable.
        var content = JsonLinesReader.ReadAll(Path.Combine(dir, "out.jsonl"));
        Assert.InRange(content.Frames.Count, 20, 21);
        Assert.InRange(Probe(Path.Combine(dir, "out.mp4")).Frames, 20, 21);
    }

    [Fact]
    public async Task DetectEveryThirdFrame_StillTracksEveryFrame()
    {
        var video = TestData.Shared("data", "tracking", "TUD-Campus", "TUD-Campus.mp4");
        var dir = TestData.TempDir();
        var summary = await RunAsync(video, dir, new PipelineOptions { DetectEvery = 3 });
        Assert.Equal(71, summary.Frames);
        var content = JsonLinesReader.ReadAll(Path.Combine(dir, "out.jsonl"));
        // Frames without detection carry the people tracked from the frame before.
        var between = content.Frames.Where(f => f.Frame % 3 != 0).ToList();
        Assert.True(between.Average(f => f.Persons.Count) >= 3, $"mean people on non-detection frames {between.Average(f => f.Persons.Count):F2}");
        // Their boxes keep the detector score they were last seen with, so person scores do not jump on those frames.
        double Mean(IEnumerable<JsonLinesFrame> frames) => frames.SelectMany(f => f.Persons).Average(p => p.Score);
        double onDetection = Mean(content.Frames.Where(f => f.Frame % 3 == 0)), onOthers = Mean(between);
        output.WriteLine($"mean person score: detection frames {onDetection:F3}, others {onOthers:F3}");
        Assert.InRange(onOthers / onDetection, 0.9, 1.1);
    }

    /// <summary>A sink that runs a callback per frame (slow sinks, injected faults, stop requests).</summary>
    private sealed class CallbackSink(Action<long> onFrame) : IFrameSink
    {
        public int Frames;
        public bool NeedsImage => false;
        public void Write(FrameResult result, Mat? annotated) { onFrame(result.Index); Frames++; }
        public void Complete() { }
        public void Dispose() { }
    }
}
