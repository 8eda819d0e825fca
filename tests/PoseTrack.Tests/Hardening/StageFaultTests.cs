using OpenCvSharp;
using PoseTrack.Pipeline;
using PoseTrack.Sinks;
using PoseTrack.Sources;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Hardening;

/// <summary>
/// An exception inside a middle stage (detect, pose, track, render): the run stops with that error, the outputs are
/// finalised (video playable, JSON lines whole) with every frame processed before the fault, nothing deadlocks. (A failing sink is covered in PipelineEndToEndTests.)
/// </summary>
public sealed class StageFaultTests(ITestOutputHelper output)
{
    private const int FaultFrame = 20;

    [Theory]
    [InlineData("detect", 1)]
    [InlineData("pose", 1)]
    [InlineData("track", 1)]
    [InlineData("render", 1)]
    [InlineData("track", 3)]   // detect every 3rd frame: the pose stage also waits on the tracker's boxes
    [InlineData("pose", 3)]
    public async Task AFaultInAMiddleStage_StopsTheRun_AndTheOutputsAreFinalised(string stage, int detectEvery)
    {
        var video = TestData.Shared("data", "video", "vtest_10s.mp4");
        var dir = TestData.TempDir();
        var options = new PipelineOptions
        {
            DetectEvery = detectEvery,
            StageHook = (name, frame) =>
            {
                if (name == stage && frame == FaultFrame) throw new InvalidOperationException($"injected {stage} fault");
            },
        };

        var run = Task.Run(async () =>
        {
            using var estimator = PoseEstimator.Create(new PoseEstimatorOptions { ModelsDirectory = TestData.ModelsDir });
            using var source = FrameSources.Open(video);
            var info = source.Info;
            using var json = new JsonLinesSink(Path.Combine(dir, "out.jsonl"), JsonLinesHeader.For(info, estimator.DetectorName, estimator.PoseModelName, estimator.Skeleton));
            using var videoSink = new VideoFileSink(Path.Combine(dir, "out.mp4"), info.Width, info.Height, info.Fps);
            return await new PosePipeline(estimator, options).RunAsync(source, [json, videoSink]);
        });
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromMinutes(2)));
        Assert.True(ReferenceEquals(run, finished), $"the pipeline did not stop within 2 minutes after a {stage} fault (deadlock)");
        var error = await Assert.ThrowsAsync<PipelineException>(() => run);
        Assert.Contains($"injected {stage} fault", error.Message);
        Assert.DoesNotContain('\n', error.Message);

        // What reached the sinks is whole: every JSON line parses, frames run 0..n-1, the video plays those n frames.
        var content = JsonLinesReader.ReadAll(Path.Combine(dir, "out.jsonl"));
        Assert.False(content.PartialLastLine);
        int n = content.Frames.Count;
        output.WriteLine($"{stage} fault at frame {FaultFrame} (det-every {detectEvery}): {n} frames written");
        // Every frame that passed the faulty stage before the fault was finished downstream and written.
        Assert.Equal(FaultFrame, n);
        Assert.Equal(Enumerable.Range(0, n).Select(i => (long)i), content.Frames.Select(f => f.Frame));
        // The video written before the fault is finalised and playable.
        Assert.Equal(n, VideoProbe.Frames(Path.Combine(dir, "out.mp4")));
    }
}
