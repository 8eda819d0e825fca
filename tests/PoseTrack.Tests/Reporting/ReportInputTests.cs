using System.Diagnostics;
using System.Text;
using PoseTrack.Core;
using PoseTrack.Reporting;

namespace PoseTrack.Tests.Reporting;

/// <summary>Bad and damaged logs: a clear one-line error when nothing can be reported, a report with a warning otherwise.</summary>
public sealed class ReportInputTests
{
    private static string WriteText(string text, string name = "run.jsonl")
    {
        var path = Path.Combine(TestData.TempDir("report"), name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string GoodLog() => new SyntheticRun().Track(1, 0, 29, 100, 200, vx: 2).Track(2, 5, 29, 600, 200).Write();

    private static ReportResult Report(string log, out string html)
    {
        var output = Path.Combine(Path.GetDirectoryName(log)!, "report.html");
        var r = ReportWriter.Write(log, output, null, thumbnails: true, new ReportOptions());
        html = File.ReadAllText(output);
        return r;
    }

    [Fact]
    public void NotJsonLines_IsAClearError()
    {
        var log = WriteText("frame,id,x,y,w,h\n1,1,10,10,50,100\n");
        var e = Assert.Throws<PoseTrackException>(() => RunLog.Load(log));
        Assert.Contains("not valid JSON", e.Message);
        Assert.Contains(log, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void EmptyFile_IsAClearError()
    {
        var e = Assert.Throws<PoseTrackException>(() => RunLog.Load(WriteText("")));
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void MissingFile_IsAClearError()
    {
        var e = Assert.Throws<PoseTrackException>(() => RunLog.Load(Path.Combine(TestData.TempDir(), "nope.jsonl")));
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void MissingHeader_IsAClearError()
    {
        var lines = File.ReadAllLines(GoodLog());
        var e = Assert.Throws<PoseTrackException>(() => RunLog.Load(WriteText(string.Join('\n', lines.Skip(1)) + "\n")));
        Assert.Contains("not a header", e.Message);
    }

    [Fact]
    public void OnlyBadFrameLines_IsAnError_NothingToReport()
    {
        var header = File.ReadAllLines(GoodLog())[0];
        var e = Assert.Throws<PoseTrackException>(() => RunLog.Load(WriteText(header + "\nnot json\n{\"frame\":1}\n")));
        Assert.Contains("nothing to report", e.Message);
    }

    [Fact]
    public void TruncatedLastLine_ReportsTheRest_AndSaysSo()
    {
        var text = File.ReadAllText(GoodLog());
        var cut = text[..(text.LastIndexOf('\n', text.Length - 2) + 40)]; // the last frame line cut after 39 characters
        var log = WriteText(cut);
        var r = Report(log, out var html);
        Assert.Equal(29, r.Analysis.Summary.FramesLogged);
        Assert.True(r.Analysis.Log.PartialLastLine);
        Assert.Contains(r.Warnings, w => w.Contains("incomplete line"));
        Assert.Contains("incomplete line", html);
        Assert.Contains("id=\"read-warnings\"", html);
    }

    [Fact]
    public void BadLineInTheMiddle_IsSkippedAndCounted()
    {
        var lines = File.ReadAllLines(GoodLog()).ToList();
        lines[10] = "{\"frame\":9,\"time_ms\":"; // a broken but terminated line
        lines[12] = "[1,2,3]";
        var r = Report(WriteText(string.Join('\n', lines) + "\n"), out var html);
        Assert.Equal(28, r.Analysis.Summary.FramesLogged);
        Assert.Equal(2, r.Analysis.Log.BadLines);
        Assert.Contains(r.Warnings, w => w.StartsWith("2 frame lines were not valid", StringComparison.Ordinal) && w.Contains("line 11"));
        Assert.Contains("2 frame lines were not valid", html);
    }

    [Fact]
    public void HeaderOnly_IsReportedWithAWarning_NotAnError()
    {
        var r = Report(new SyntheticRun().Write(), out var html);
        Assert.Equal(0, r.Analysis.Summary.FramesLogged);
        Assert.Contains(r.Warnings, w => w.Contains("no frames"));
        Assert.Contains("<html", html);
    }

    [Fact]
    public void NullNumbers_AsTheSinkWritesNonFiniteValues_DoNotBreakTheReport()
    {
        var lines = File.ReadAllLines(GoodLog()).ToList();
        for (int i = 5; i < 15; i++)
        {
            int at = lines[i].IndexOf("\"box\":[", StringComparison.Ordinal) + 7;
            lines[i] = lines[i][..at] + "null,null,null,null" + lines[i][lines[i].IndexOf(']', at)..];
            lines[i] = lines[i].Replace("\"score\":0.9,", "\"score\":null,", StringComparison.Ordinal);
        }
        lines[20] = lines[20].Replace("\"time_ms\":", "\"time_ms\":null,\"x\":", StringComparison.Ordinal);
        var r = Report(WriteText(string.Join('\n', lines) + "\n"), out var html);
        Assert.Equal(30, r.Analysis.Summary.FramesLogged);
        Assert.Equal(0, r.Analysis.Log.BadLines);
        Assert.DoesNotContain(">NaN", html);
        Assert.All(r.Analysis.Tracks, t => Assert.True(double.IsFinite(t.MeanScore) && double.IsFinite(t.MaxStep) && double.IsFinite(t.MeanBoxHeight)));
    }

    [Fact]
    public void Report_IsSelfContained_AndNamesEveryTrack()
    {
        var r = Report(GoodLog(), out var html);
        Assert.StartsWith("<!DOCTYPE html>", html);
        foreach (var bad in new[] { "http://", "https://", "<link", "src=\"//", "@import", "url(" })
            Assert.DoesNotContain(bad, html, StringComparison.OrdinalIgnoreCase);
        foreach (var t in r.Analysis.Tracks) Assert.Contains($"id=\"tl-{t.Id}\"", html);
        // The header's input does not exist here: no thumbnails, and the report says why.
        Assert.Contains(r.Warnings, w => w.Contains("No thumbnails"));
    }

    [Fact]
    public void TextFromTheLog_IsHtmlEscaped()
    {
        // The header's input is shown in the title, the header, the summary and the no-thumbnails note.
        const string input = "/nonexistent/<script>alert(1)</script> & \"a\" 'b'.mp4";
        var r = Report(new SyntheticRun().Track(1, 0, 29, 100, 200).Write(input: input), out var html);
        Assert.Contains(r.Warnings, w => w.Contains("No thumbnails"));
        Assert.DoesNotContain("<script>alert", html);
        Assert.DoesNotContain("'b'.mp4", html);
        Assert.Contains("/nonexistent/&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;a&quot; &#x27;b&#x27;.mp4", html);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "<script>"));
    }

    [Fact]
    public void TheReportNeverOverwritesItsLog()
    {
        var log = GoodLog();
        var e = Assert.Throws<PoseTrackException>(() => ReportWriter.Write(log, log, null, false, new ReportOptions()));
        Assert.Contains("overwrite the run log", e.Message);
    }

    [Fact]
    public void TenThousandFramesAndTwoHundredTracks_AreFastAndSmall()
    {
        // 10,000 frames at 25 fps; 200 tracks of 400 frames each, 8 people at a time, some shaky, some with gaps.
        var run = new SyntheticRun();
        for (int id = 1; id <= 200; id++)
        {
            long start = (id - 1) * 48L;
            float y = 80 + (id % 8) * 70;
            run.Track(id, start, Math.Min(start + 399, 9999), 50, y, vx: 2.5f, noisePx: id % 17 == 0 ? 4 : 0.3f, boxH: 120);
        }
        run.Frames(0, 9999).Drop(5000, 5004);
        var log = run.Write();
        var sw = Stopwatch.StartNew();
        var output = Path.Combine(Path.GetDirectoryName(log)!, "big.html");
        var r = ReportWriter.Write(log, output, null, thumbnails: false, new ReportOptions());
        var elapsed = sw.Elapsed;
        Assert.Equal(9995, r.Analysis.Summary.FramesLogged);
        Assert.Equal(200, r.Analysis.Tracks.Count);
        Assert.Equal(5, r.Analysis.Summary.DroppedFrames);
        Assert.True(elapsed < TimeSpan.FromSeconds(60), $"report took {elapsed}");
        Assert.True(r.Bytes < 600_000, $"report is {r.Bytes} bytes");
        var html = File.ReadAllText(output, Encoding.UTF8);
        Assert.Equal(200, CountOf(html, "class=\"tl-row\""));
        Assert.True(CountOf(html, "<path class=\"ln\"") >= 2);
        Assert.Equal(0, r.Analysis.TracksByJitter[0].Id % 17); // a shaky one (ids 17, 34, …) ranks first
    }

    private static int CountOf(string s, string what)
    {
        int n = 0;
        for (int i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
