using System.Diagnostics;
using System.Text.RegularExpressions;
using PoseTrack.Sinks;

namespace PoseTrack.Tests.Reporting;

/// <summary><c>posetrack report</c> as a user runs it, and its page in a real browser.</summary>
public sealed partial class ReportCliTests
{
    private static CliProcess.Result Run(string dir, params string[] args) => CliProcess.Run(dir, TimeSpan.FromMinutes(4), args);

    [Fact]
    public void GoodLog_ExitsZero_WritesTheDefaultOutputBesideTheLog()
    {
        var log = new SyntheticRun().Track(1, 0, 29, 100, 200, vx: 2).Track(2, 32, 50, 160, 200).Write();
        var dir = Path.GetDirectoryName(log)!;
        var r = Run(dir, "report", log, "--no-thumbnails");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var html = Path.Combine(dir, "run.report.html");
        Assert.True(File.Exists(html));
        Assert.Contains("2 tracks, 1 suspected problems", r.Stderr);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("hello world\n", "not valid JSON")]
    [InlineData("{\"frame\":0,\"time_ms\":0,\"persons\":[]}\n", "not a header")]
    public void NothingToReport_ExitsTwo_WithOneLine(string content, string expected)
    {
        var dir = TestData.TempDir("report");
        File.WriteAllText(Path.Combine(dir, "bad.jsonl"), content);
        var r = Run(dir, "report", "bad.jsonl", "-o", "out.html");
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("posetrack: error: ", line);
        Assert.Contains(expected, line);
        Assert.False(File.Exists(Path.Combine(dir, "out.html")));
    }

    [Fact]
    public void MissingLogOrVideo_ExitsTwo()
    {
        var dir = TestData.TempDir("report");
        var r = Run(dir, "report", "nope.jsonl");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("run log not found", r.Stderr);
        var log = new SyntheticRun().Track(1, 0, 9, 100, 200).Write();
        r = Run(dir, "report", log, "--video", "missing.mp4", "-o", "x.html");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--video file not found", r.Stderr);
        r = Run(dir, "report", log, "--switch-seconds", "0", "-o", "x.html");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--switch-seconds", r.Stderr);
    }

    [Fact]
    public void TruncatedLog_ExitsZero_AndWarns()
    {
        var log = new SyntheticRun().Track(1, 0, 29, 100, 200).Write();
        File.AppendAllText(log, "{\"frame\":30,\"time_ms\":12");
        var r = Run(Path.GetDirectoryName(log)!, "report", log, "-o", "r.html", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("posetrack: warning: The log ends in an incomplete line", r.Stderr);
        Assert.Contains("incomplete line", File.ReadAllText(Path.Combine(Path.GetDirectoryName(log)!, "r.html")));
    }

    /// <summary>
    /// A real run on TUD-Campus, its report rendered by headless Chromium: no console errors (the page's own
    /// error guard sets data-ok="true" only without any, and Chromium logs none), and the timeline has a rendered
    /// row for every track id in the log. Fails — never skips — when Chromium is missing.
    /// </summary>
    [Fact]
    public void RealRunReport_RendersInChromium_WithoutConsoleErrors_AndShowsEveryTrack()
    {
        Chromium.Path(); // fail first, before the slow run, when there is no browser
        var dir = TestData.TempDir("report-browser");
        var video = TestData.Shared("data", "tracking", "TUD-Campus", "TUD-Campus.mp4");
        var run = Run(dir, "track", "--input", video, "--json", "run.jsonl", "-q");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var report = Run(dir, "report", "run.jsonl", "-o", "report.html");
        Assert.True(report.ExitCode == 0, report.Stderr);
        Assert.DoesNotContain("warning", report.Stderr);

        var content = JsonLinesReader.ReadAll(Path.Combine(dir, "run.jsonl"));
        var ids = content.Frames.SelectMany(f => f.Persons).Where(p => p.TrackId is not null).Select(p => p.TrackId!.Value).ToHashSet();
        Assert.True(ids.Count >= 5, $"only {ids.Count} tracks in the TUD-Campus run");
        var htmlPath = Path.Combine(dir, "report.html");
        var html = File.ReadAllText(htmlPath);
        Assert.True(new FileInfo(htmlPath).Length < 1_000_000, "report over 1 MB");
        Assert.Contains("data:image/jpeg;base64,", html); // thumbnails from the input named in the header

        var url = new Uri(htmlPath).AbsoluteUri;
        var dom = Chromium.Run(url, TimeSpan.FromSeconds(120), "--dump-dom");
        Assert.True(dom.ExitCode == 0, dom.Stderr);
        var console = Chromium.ConsoleLines(dom.Stderr);
        Assert.True(console.Count == 0, "console output:\n" + string.Join('\n', console));
        var root = HtmlTag().Match(dom.Stdout);
        Assert.True(root.Success, "no <html> element in the dumped DOM:\n" + dom.Stdout[..Math.Min(500, dom.Stdout.Length)]);
        Assert.True(root.Value.Contains("data-ok=\"true\""), "the page's error guard did not pass: " + root.Value);
        Assert.Contains($"data-rows=\"{ids.Count}\"", root.Value);
        Assert.Contains($"data-visible-rows=\"{ids.Count}\"", root.Value);
        var rowIds = TimelineRow().Matches(dom.Stdout).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(ids.Count, rowIds.Count);
        Assert.Equal(ids.Order(), rowIds.Order());

        var png = Path.Combine(dir, "report.png");
        var shot = Chromium.Run(url, TimeSpan.FromSeconds(120), $"--screenshot={png}", "--window-size=1280,2000");
        Assert.True(shot.ExitCode == 0, shot.Stderr);
        Assert.True(File.Exists(png) && new FileInfo(png).Length > 20_000, "no screenshot");
        var keep = Environment.GetEnvironmentVariable("POSETRACK_REPORT_SCREENSHOT");
        if (!string.IsNullOrEmpty(keep)) File.Copy(png, keep, overwrite: true);
    }

    [GeneratedRegex("<html[^>]*>")]
    private static partial Regex HtmlTag();

    [GeneratedRegex("<div class=\"tl-row\" id=\"tl-(\\d+)\"")]
    private static partial Regex TimelineRow();
}
