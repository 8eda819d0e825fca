using PoseTrack.Reporting;

namespace PoseTrack.Tests.Reporting;

/// <summary>Thumbnails come from the run's input when it is here: an annotated video's drawing covers small people.</summary>
public sealed class ReportThumbnailSourceTests
{
    [Fact]
    public void TheInputNamedInTheLog_IsPreferredOverVideo_WhichIsTheFallback()
    {
        var input = TestData.Shared("data", "video", "vtest_10s.mp4");
        var annotated = TestData.Shared("data", "video", "mmpose_demo.mp4");
        Assert.Equal(input, ReportWriter.ThumbnailSourceOf(input, annotated));
        Assert.Equal(annotated, ReportWriter.ThumbnailSourceOf("/nonexistent/input.mp4", annotated));
        Assert.Null(ReportWriter.ThumbnailSourceOf("/nonexistent/input.mp4", null));

        var log = new SyntheticRun().Track(1, 0, 9, 100, 200).Write(input: input);
        var output = Path.Combine(Path.GetDirectoryName(log)!, "report.html");
        var r = ReportWriter.Write(log, output, annotated, thumbnails: true, new ReportOptions());
        Assert.Equal(input, r.ThumbnailSource);
        var elsewhere = new SyntheticRun().Track(1, 0, 9, 100, 200).Write(name: "moved.jsonl");
        r = ReportWriter.Write(elsewhere, output, annotated, thumbnails: true, new ReportOptions());
        Assert.Equal(annotated, r.ThumbnailSource);
    }
}
