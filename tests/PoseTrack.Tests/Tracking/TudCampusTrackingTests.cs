using PoseTrack.Evaluation;
using PoseTrack.Pipeline;
using PoseTrack.Sinks;
using PoseTrack.Sources;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Tracking;

/// <summary>
/// Both trackers on the real TUD-Campus sequence (MOTChallenge ground truth), on the same detections, with the heatmap
/// pose model the tracker was tuned with; the shipped MoveNet default is checked against floors of its own.
/// </summary>
public sealed class TudCampusTrackingTests(ITestOutputHelper output)
{
    private static async Task<MotMetrics> TrackAsync(TrackerKind tracker, int detectEvery, string poseModel = "simplepose-nano")
    {
        var video = TestData.Shared("data", "tracking", "TUD-Campus", "TUD-Campus.mp4");
        var gt = TestData.Shared("data", "tracking", "TUD-Campus", "gt", "gt.txt");
        var hyp = Path.Combine(TestData.TempDir(), "hyp.txt");
        using (var estimator = PoseEstimator.Create(new PoseEstimatorOptions { ModelsDirectory = TestData.ModelsDir, PoseModel = poseModel }))
        using (var source = FrameSources.Open(video))
        using (var mot = new MotFileSink(hyp))
        {
            await new PosePipeline(estimator, new PipelineOptions { Tracker = tracker, DetectEvery = detectEvery }).RunAsync(source, [mot]);
        }
        return MotEvaluator.EvaluateFiles(gt, hyp);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task OksTracker_HasNoMoreIdSwitchesThanIou_AndNoLowerIdf1(int detectEvery)
    {
        var oks = await TrackAsync(TrackerKind.Oks, detectEvery);
        var iou = await TrackAsync(TrackerKind.Iou, detectEvery);
        output.WriteLine($"det-every {detectEvery}: OKS {oks.Summary().Split('\n')[^1]}");
        output.WriteLine($"det-every {detectEvery}: IoU {iou.Summary().Split('\n')[^1]}");
        Assert.True(oks.IdSwitches <= iou.IdSwitches, $"OKS IDSW {oks.IdSwitches} > IoU IDSW {iou.IdSwitches}");
        Assert.True(oks.Idf1 >= iou.Idf1 - 1e-9, $"OKS IDF1 {oks.Idf1:F4} < IoU IDF1 {iou.Idf1:F4}");
        // Floors well under today's figures (k=1: MOTA 0.55, IDF1 0.68; k=3: 0.41, 0.56) so a regression fails.
        Assert.True(oks.Mota >= (detectEvery == 1 ? 0.5 : 0.35), $"MOTA {oks.Mota:F3}");
        Assert.True(oks.Idf1 >= (detectEvery == 1 ? 0.6 : 0.5), $"IDF1 {oks.Idf1:F3}");
    }

    [Fact]
    public async Task DefaultModels_TrackTudCampusAboveTheirMeasuredFloors()
    {
        var oks = await TrackAsync(TrackerKind.Oks, 1, "movenet-lightning");
        output.WriteLine($"movenet-lightning: OKS {oks.Summary().Split('\n')[^1]}");
        // Measured: MOTA 0.487, IDF1 0.643, IDSW 7.
        Assert.True(oks.Mota >= 0.43, $"MOTA {oks.Mota:F3}");
        Assert.True(oks.Idf1 >= 0.58, $"IDF1 {oks.Idf1:F3}");
    }
}
