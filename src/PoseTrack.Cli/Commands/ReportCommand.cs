using System.CommandLine;
using System.Globalization;
using PoseTrack.Reporting;

namespace PoseTrack.Cli.Commands;

/// <summary>
/// <c>posetrack report RUN.jsonl [--video VIDEO] [--output report.html]</c>: one self-contained HTML page about a run
/// (summary, track timeline, suspected id switches / flicker / jumps, keypoint jitter per track, plots, thumbnails).
/// Exit code 2 only when nothing can be reported; a truncated log is reported with a warning.
/// </summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var defaults = new ReportOptions();
        var cmd = new Command("report", "Write a self-contained HTML report of a run from its JSON lines log (--json)");
        var log = new Argument<string>("log") { Description = "The run's JSON lines log (posetrack --json FILE)" };
        var output = new Option<string?>("--output", "-o") { Description = "HTML file to write (default: the log's name with .report.html)" };
        var video = new Option<string?>("--video") { Description = "Video for the thumbnails when the input named in the log is not a file here (a copy of the input, or the annotated output); the input itself is preferred, since drawing covers small people" };
        var noThumbs = new Option<bool>("--no-thumbnails") { Description = "No thumbnails (no video is read)" };
        var maxThumbs = new Option<int>("--max-thumbnails") { Description = "Most tracks with thumbnails (flagged first, then the longest)", DefaultValueFactory = _ => defaults.MaxThumbnailTracks };
        var switchSeconds = new Option<double>("--switch-seconds") { Description = "Likely id switch: a track starts within this many seconds after another ended… (default: the tracker's --reid-window)", DefaultValueFactory = _ => defaults.SwitchSeconds };
        var switchHeights = new Option<double>("--switch-box-heights") { Description = "…and within this many of its box heights of where it ended (default: the tracker's --reid-distance)", DefaultValueFactory = _ => defaults.SwitchBoxHeights };
        var shortTrack = new Option<int>("--short-track") { Description = "Flag tracks seen in fewer frames than this (flicker)", DefaultValueFactory = _ => defaults.ShortTrackFrames };
        var jump = new Option<double>("--jump") { Description = "Flag box-centre moves above this many box heights per frame", DefaultValueFactory = _ => defaults.JumpBoxHeights };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only warnings and errors" };
        cmd.Arguments.Add(log);
        foreach (var o in new Option[] { output, video, noThumbs, maxThumbs, switchSeconds, switchHeights, shortTrack, jump, quiet })
            cmd.Options.Add(o);

        cmd.SetAction((r, ct) => CliErrors.GuardAsync(ct, token =>
        {
            var logPath = r.GetValue(log)!;
            var outPath = r.GetValue(output) ?? DefaultOutput(logPath);
            var options = defaults with
            {
                MaxThumbnailTracks = r.GetValue(maxThumbs),
                SwitchSeconds = r.GetValue(switchSeconds),
                SwitchBoxHeights = r.GetValue(switchHeights),
                ShortTrackFrames = r.GetValue(shortTrack),
                JumpBoxHeights = r.GetValue(jump),
            };
            OptionNames.Check(options.Validate, OptionNames.Report);
            OutputPaths.Check([("the log", logPath), ("--video", r.GetValue(video))], ("--output", outPath));
            var result = ReportWriter.Write(logPath, outPath, r.GetValue(video), !r.GetValue(noThumbs), options, token);
            foreach (var w in result.Warnings) Console.Error.WriteLine($"posetrack: warning: {w}");
            if (!r.GetValue(quiet))
            {
                var a = result.Analysis;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"report: {result.OutputPath} ({result.Bytes / 1024.0:F0} KB): {a.Summary.FramesLogged} frames, {a.Tracks.Count} tracks, {a.Issues.Count} suspected problems"));
            }
            return Task.FromResult(CliErrors.Ok);
        }, handleCtrlC: true, native: r.GetValue(video) is not null && !r.GetValue(noThumbs)));
        return cmd;
    }

    /// <summary><c>run.jsonl</c> → <c>run.report.html</c> beside it.</summary>
    private static string DefaultOutput(string logPath)
    {
        var dir = Path.GetDirectoryName(logPath);
        var name = Path.GetFileNameWithoutExtension(logPath) + ".report.html";
        return string.IsNullOrEmpty(dir) ? name : Path.Combine(dir, name);
    }
}
