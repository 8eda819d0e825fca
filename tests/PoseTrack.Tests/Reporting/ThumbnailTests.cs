using PoseTrack.Reporting;

namespace PoseTrack.Tests.Reporting;

/// <summary>Crops from a real video (vtest_10s.mp4: 100 frames at 10 fps), matched to the log by position or by time.</summary>
public sealed class ThumbnailTests
{
    private static string Video => TestData.Shared("data", "video", "vtest_10s.mp4");

    private static RunAnalysis Analyze(SyntheticRun run, ReportOptions? options = null)
        => RunAnalysis.Analyze(RunLog.Load(run.Write(input: Video)), options);

    [Fact]
    public void EveryLoggedFrame_MatchesByPosition()
    {
        var a = Analyze(new SyntheticRun { Fps = 10 }.Track(1, 0, 99, 100, 100, vx: 3).Track(2, 40, 60, 600, 200).Frames(0, 99));
        var t = Thumbnails.Extract(a, Video);
        Assert.Contains("frame position", t.Note);
        Assert.Contains("6 of 6 crops", t.Note);
        foreach (var id in new[] { 1, 2 })
            Assert.All(t.ByTrack[id], uri => Assert.StartsWith("data:image/jpeg;base64,/9j/", uri));
    }

    [Fact]
    public void DroppedFramesAndALateStart_MatchByTimestamp()
    {
        // Frames 30–99 only, every third one dropped: not as many frames as the video, so matched by time_ms.
        var run = new SyntheticRun { Fps = 10 }.Track(1, 30, 99, 100, 100, vx: 3).Track(2, 50, 80, 600, 200);
        for (long f = 32; f < 100; f += 3) run.Drop(f, f);
        var t = Thumbnails.Extract(Analyze(run), Video);
        Assert.Contains("timestamp", t.Note);
        Assert.Contains("6 of 6 crops", t.Note);
    }

    [Fact]
    public void FramesPastTheEndOfTheVideo_AreReportedMissing()
    {
        var t = Thumbnails.Extract(Analyze(new SyntheticRun { Fps = 10 }.Track(1, 200, 260, 100, 100)), Video);
        Assert.Contains("0 of 3 crops", t.Note);
        Assert.Contains("is it the video of this run?", t.Note);
        Assert.All(t.ByTrack[1], Assert.Null);
    }

    [Fact]
    public void AtMostMaxTracks_FlaggedFirst()
    {
        var run = new SyntheticRun { Fps = 10 }.Frames(0, 99);
        for (int id = 1; id <= 5; id++) run.Track(id, 0, 99, 100 * id, 100);
        run.Track(9, 50, 51, 700, 300); // short: flagged
        var a = Analyze(run, new ReportOptions { MaxThumbnailTracks = 2 });
        var t = Thumbnails.Extract(a, Video);
        Assert.Equal([1, 9], t.ByTrack.Keys.Order());
        Assert.Contains("for 2 of 6 tracks (flagged tracks first, then the longest)", t.Note);
    }
}
