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
    private static async Task<MotMetrics> TrackAsync(TrackerKind tracker, int detectEvery, string poseModel = "simplepose-nano") =>
        (await TrackToFileAsync(tracker, detectEvery, poseModel)).Metrics;

    private static async Task<(MotMetrics Metrics, string Hyp)> TrackToFileAsync(TrackerKind tracker, int detectEvery, string poseModel)
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
        return (MotEvaluator.EvaluateFiles(gt, hyp), hyp);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task OksTracker_KeepsIdentitiesBetterThanBeforeTheLifecycle_AndIdf1AboutAsIou(int detectEvery)
    {
        var oks = await TrackAsync(TrackerKind.Oks, detectEvery);
        var iou = await TrackAsync(TrackerKind.Iou, detectEvery);
        output.WriteLine($"det-every {detectEvery}: OKS {oks.Summary().Split('\n')[^1]}");
        output.WriteLine($"det-every {detectEvery}: IoU {iou.Summary().Split('\n')[^1]}");
        // Before track confirmation, plausibility and re-finding the OKS tracker had fewer ID switches than IoU here;
        // with them both trackers lose the ghost tracks that caused most switches and end up close: measured k=1 OKS
        // IDSW 5, IDF1 0.727 vs IoU 5, 0.728; k=3 OKS 9, 0.656 vs IoU 4, 0.653 (1-based MOT boxes) (OKS before: k=3 IDSW 14, IDF1 0.56).
        Assert.True(oks.IdSwitches <= (detectEvery == 1 ? 5 : 14), $"OKS IDSW {oks.IdSwitches}");
        Assert.True(oks.Idf1 >= iou.Idf1 - 0.01, $"OKS IDF1 {oks.Idf1:F4} < IoU IDF1 {iou.Idf1:F4} - 0.01");
        // Floors under today's figures (k=1: MOTA 0.674, IDF1 0.727; k=3: 0.543, 0.656) and above the figures before
        // the lifecycle (k=1: 0.55, 0.68; k=3: 0.41, 0.56), so a regression fails.
        Assert.True(oks.Mota >= (detectEvery == 1 ? 0.62 : 0.5), $"MOTA {oks.Mota:F3}");
        Assert.True(oks.Idf1 >= (detectEvery == 1 ? 0.69 : 0.6), $"IDF1 {oks.Idf1:F3}");
    }

    [Fact]
    public async Task DefaultModels_TrackTudCampusAboveTheirMeasuredFloors()
    {
        var oks = await TrackAsync(TrackerKind.Oks, 1, "movenet-lightning");
        output.WriteLine($"movenet-lightning: OKS {oks.Summary().Split('\n')[^1]}");
        // Measured: MOTA 0.591, IDF1 0.717, IDSW 1 with 1-based MOT boxes (0-based: 0.596, 0.720, 1; before track
        // confirmation and re-finding: 0.487, 0.643, 7).
        Assert.True(oks.Mota >= 0.43, $"MOTA {oks.Mota:F3}");
        Assert.True(oks.Idf1 >= 0.58, $"IDF1 {oks.Idf1:F3}");
    }

    [Fact]
    public async Task Track_lifecycle_gives_fewer_and_fewer_short_tracks_without_losing_mota()
    {
        // Before confirmation, plausibility, two-stage association and re-finding (default models, detector every
        // frame): 23 tracks, 12 of them under 5 frames, IDSW 7, MOTA 0.487. Measured after: 6 tracks, none short,
        // IDSW 1, MOTA 0.596.
        var (m, hyp) = await TrackToFileAsync(TrackerKind.Oks, 1, "movenet-lightning");
        var lengths = File.ReadLines(hyp).Where(l => l.Length > 0).GroupBy(l => l.Split(',')[1]).Select(g => g.Count()).ToList();
        int shortTracks = lengths.Count(n => n < 5);
        output.WriteLine($"tracks {lengths.Count}, short {shortTracks}; {m.Summary().Split('\n')[^1]}");
        Assert.True(lengths.Count <= 12, $"{lengths.Count} tracks (23 before)");
        Assert.True(shortTracks <= 6, $"{shortTracks} tracks shorter than 5 frames (12 before)");
        Assert.True(m.IdSwitches <= 7, $"IDSW {m.IdSwitches} (7 before)");
        Assert.True(m.Mota >= 0.487 - 0.02, $"MOTA {m.Mota:F3} (0.487 before)");
    }
}
