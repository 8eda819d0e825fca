using PoseTrack.Reporting;

namespace PoseTrack.Tests.Reporting;

/// <summary>The report's numbers on logs with planted problems.</summary>
public sealed class RunAnalysisTests
{
    private static RunAnalysis Analyze(SyntheticRun run, ReportOptions? options = null, long? frameCount = null)
        => RunAnalysis.Analyze(RunLog.Load(run.Write(frameCount: frameCount)), options);

    [Fact]
    public void PlantedIdSwitch_IsFlagged_AndOnlyThatOne()
    {
        var a = Analyze(new SyntheticRun()
            .Track(1, 0, 49, 100, 200, vx: 3)                 // walks right, ends at frame 49 near x = 247
            .Track(2, 53, 99, 259, 200, vx: 3)                // same walker with a new id, 4 frames later
            .Track(3, 52, 99, 900, 300)                       // starts just as close in time, but far away
            .Track(4, 0, 99, 600, 100, vx: -1));              // steady the whole run
        var switches = a.Issues.Where(i => i.Kind == IssueKind.IdSwitch).ToList();
        var s = Assert.Single(switches);
        Assert.Equal(2, s.TrackId);
        Assert.Equal(1, s.OtherTrackId);
        Assert.Equal(53, s.Frame);
        Assert.Contains(IssueKind.IdSwitch, a.Tracks.Single(t => t.Id == 1).Flags);
        Assert.Contains(IssueKind.IdSwitch, a.Tracks.Single(t => t.Id == 2).Flags);
        Assert.Empty(a.Tracks.Single(t => t.Id == 3).Flags);
        Assert.Empty(a.Tracks.Single(t => t.Id == 4).Flags);
        Assert.DoesNotContain(a.Issues, i => i.Kind == IssueKind.Jump);
    }

    [Fact]
    public void IdSwitch_NeedsBothTheTimeAndTheDistanceLimit_TheTrackersReFindingRule()
    {
        // 15 frames (0.6 s at 25 fps) later, 10 px (0.04 box heights) away: within the tracker's re-finding window
        // (3 s) and distance (1.5 box heights), so the tracker would have kept the id; two ids are a likely switch.
        var run = new SyntheticRun().Track(1, 0, 20, 100, 200).Track(2, 35, 60, 110, 200);
        Assert.Equal(new PoseTrack.Tracking.TrackerOptions().ReidWindowSeconds, new ReportOptions().SwitchSeconds);
        Assert.Equal(new PoseTrack.Tracking.TrackerOptions().ReidMaxDistance, new ReportOptions().SwitchBoxHeights, 6);
        Assert.Contains(Analyze(run).Issues, i => i.Kind == IssueKind.IdSwitch);
        Assert.DoesNotContain(Analyze(run, new ReportOptions { SwitchSeconds = 0.5 }).Issues, i => i.Kind == IssueKind.IdSwitch);
        Assert.DoesNotContain(Analyze(run, new ReportOptions { SwitchBoxHeights = 0.02 }).Issues, i => i.Kind == IssueKind.IdSwitch);
    }

    [Fact]
    public void SteadyTracks_HaveNearZeroJitter()
    {
        var a = Analyze(new SyntheticRun()
            .Track(1, 0, 99, 300, 200)                        // standing still
            .Track(2, 0, 99, 100, 300, vx: 4.3f, vy: -0.7f)); // walking at constant speed
        foreach (var t in a.Tracks)
        {
            Assert.NotNull(t.Jitter);
            Assert.Equal(98 * 17, t.JitterSamples);
            // Only the sink's 2-decimal rounding is left: ≤ 0.02 px in 240 px.
            Assert.True(t.Jitter < 1e-4, $"track {t.Id} jitter {t.Jitter}");
        }
    }

    [Fact]
    public void PlantedJitteryTrack_IsRankedFirst()
    {
        var a = Analyze(new SyntheticRun()
            .Track(1, 0, 99, 100, 200, vx: 2)
            .Track(2, 0, 99, 400, 200, vx: -2, noisePx: 1f)
            .Track(3, 10, 90, 700, 200, vx: 1, noisePx: 6f)   // the shaky one
            .Track(4, 0, 99, 1000, 200)
            .Track(5, 40, 42, 1100, 400, noisePx: 20f));      // very shaky but only 3 frames: ranked after the rest
        var ranked = a.TracksByJitter;
        Assert.Equal(3, ranked[0].Id);
        Assert.Equal(2, ranked[1].Id);
        Assert.Equal(5, ranked[^1].Id);
        Assert.False(a.IsJitterReliable(ranked[^1]));
        Assert.True(ranked[0].Jitter > 5 * ranked[1].Jitter!.Value, $"{ranked[0].Jitter} vs {ranked[1].Jitter}");
        Assert.True(ranked[1].Jitter > 10 * a.Tracks.Single(t => t.Id == 1).Jitter!.Value);
        // 6 px noise per axis: the second difference has σ = 6·√6 ≈ 14.7 px per axis, its 2-D norm a mean of σ·√(π/2) ≈ 18 px = 0.077 box heights.
        Assert.InRange(ranked[0].Jitter!.Value, 0.05, 0.12);
    }

    [Fact]
    public void ShortTrack_IsFlagged()
    {
        var a = Analyze(new SyntheticRun().Track(1, 0, 59, 100, 200).Track(7, 30, 31, 800, 300));
        var s = Assert.Single(a.Issues, i => i.Kind == IssueKind.ShortTrack);
        Assert.Equal(7, s.TrackId);
        Assert.Equal(30, s.Frame);
        Assert.Equal([IssueKind.ShortTrack], a.Tracks.Single(t => t.Id == 7).Flags);
    }

    [Fact]
    public void Jump_IsFlagged_WhereTheBoxLeaps()
    {
        var a = Analyze(new SyntheticRun()
            .Track(1, 0, 59, 100, 200, at: f => f < 30 ? (100 + f, 200) : (100 + f + 150, 200)) // 151 px in one frame, box 240 px
            .Track(2, 0, 59, 600, 200, vx: 6));                                                 // fast but smooth
        var j = Assert.Single(a.Issues, i => i.Kind == IssueKind.Jump);
        Assert.Equal(1, j.TrackId);
        Assert.Equal(30, j.Frame);
        Assert.InRange(a.Tracks.Single(t => t.Id == 1).MaxStep, 0.6, 0.7);
        Assert.Empty(a.Tracks.Single(t => t.Id == 2).Flags);
    }

    [Fact]
    public void Gaps_AreSegments_AndAJumpAfterAGapIsScaledByTheGap()
    {
        // Lost for frames 20–29 and found again 10 frames later 100 px on: 0.04 box heights per frame, not a jump.
        var a = Analyze(new SyntheticRun()
            .Track(1, 0, 19, 100, 200)
            .Track(1, 30, 59, 200, 200)
            .Frames(0, 59));
        var t = Assert.Single(a.Tracks);
        Assert.Equal([new TrackSegment(0, 19), new TrackSegment(30, 59)], t.Segments);
        Assert.Equal(50, t.Frames);
        Assert.Empty(a.Issues);
        // Jitter windows never span the gap: 18 + 28 windows.
        Assert.Equal(46 * 17, t.JitterSamples);
    }

    [Fact]
    public void Summary_CountsFramesPeopleDroppedFramesAndRates()
    {
        var a = Analyze(new SyntheticRun()
            .Track(1, 0, 99, 100, 200)
            .Track(2, 0, 49, 500, 200)
            .Drop(60, 62), frameCount: 120);
        var s = a.Summary;
        Assert.Equal(97, s.FramesLogged);
        Assert.Equal(0, s.FirstFrame);
        Assert.Equal(99, s.LastFrame);
        Assert.Equal(3, s.DroppedFrames);
        Assert.Equal(20, s.MissingAtEnd);
        Assert.Equal(4.0, s.DurationSeconds, 6);
        Assert.Equal(25, s.SourceFps!.Value, 6);
        Assert.Equal(25, s.LoggedFpsP50!.Value, 6);
        Assert.Equal(96 * 1000.0 / 3960, s.LoggedFpsMean!.Value, 6); // 97 frames over 99 frame intervals of video time
        Assert.Equal(2, s.PeopleMax);
        Assert.Equal(147, s.PersonDetections);
        Assert.Equal(0.9, s.MeanKeypointConfidence!.Value, 3);
        Assert.Equal(2, a.Tracks.Count);
        // Dropped frames are no track gap: the track stays one segment.
        Assert.Single(a.Tracks.Single(t => t.Id == 1).Segments);
    }

    [Fact]
    public void HeaderOnlyLog_GivesAnEmptyAnalysis()
    {
        var a = Analyze(new SyntheticRun());
        Assert.Equal(0, a.Summary.FramesLogged);
        Assert.Empty(a.Tracks);
        Assert.Empty(a.Issues);
        var html = HtmlReport.Render(a, null);
        Assert.Contains("no frames", html, StringComparison.OrdinalIgnoreCase);
    }
}
