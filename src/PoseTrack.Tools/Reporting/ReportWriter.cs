using System.Text;
using PoseTrack.Core;
using PoseTrack.Sinks;

namespace PoseTrack.Reporting;

/// <summary>What <see cref="ReportWriter.Write"/> did.</summary>
/// <param name="Analysis">The numbers behind the page.</param>
/// <param name="OutputPath">The full path of the page.</param>
/// <param name="Bytes">Size of the page.</param>
/// <param name="Warnings">Problems worth telling the user (bad log lines, no thumbnails and why); the page was still written.</param>
internal sealed record ReportResult(RunAnalysis Analysis, string OutputPath, long Bytes, IReadOnlyList<string> Warnings)
{
    /// <summary>The video the thumbnails were cut from, or null when there are none.</summary>
    public string? ThumbnailSource { get; init; }
}

/// <summary>Run log → analysis → thumbnails → one HTML file: the whole <c>posetrack report</c> job.</summary>
internal static class ReportWriter
{
    private const string What = "report";

    /// <summary>
    /// Where thumbnails are cut from: the run's input when it is a file here, since an annotated video's drawing
    /// covers the small people the thumbnails are meant to show (and hides what is really there, such as a sign
    /// taken for a person); else <paramref name="videoPath"/> (a copy of the input, or the annotated output); else none.
    /// </summary>
    internal static string? ThumbnailSourceOf(string input, string? videoPath) => File.Exists(input) ? input : videoPath;


    /// <summary>
    /// Writes the report of <paramref name="logPath"/> to <paramref name="outputPath"/>. Thumbnails come from the
    /// run's input named in the header when that file exists here (<see cref="ThumbnailSourceOf"/>), else from
    /// <paramref name="videoPath"/> when given (it must exist); none when <paramref name="thumbnails"/> is false. Throws <see cref="PoseTrackException"/> only when
    /// nothing can be reported (log unreadable, empty, not JSON lines, no header) or the output cannot be written;
    /// a truncated log or bad frame lines are reported in the page and in <see cref="ReportResult.Warnings"/>.
    /// </summary>
    public static ReportResult Write(string logPath, string outputPath, string? videoPath, bool thumbnails, ReportOptions options,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var fullOut = OutputSafety.CheckPath(What, outputPath);
        if (videoPath is not null && !File.Exists(videoPath))
            throw new PoseTrackException(Directory.Exists(videoPath) ? $"--video '{videoPath}' is a folder, not a video file" : $"--video file not found: {videoPath}");
        if (Path.GetFullPath(logPath) == fullOut) throw new PoseTrackException($"the report would overwrite the run log '{logPath}': give another --output");

        var log = RunLog.Load(logPath);
        var analysis = RunAnalysis.Analyze(log, options);
        var warnings = new List<string>(log.ReadWarnings());

        ThumbnailSet? thumbs = null;
        string? source = null;
        if (thumbnails && analysis.Tracks.Count > 0 && options.MaxThumbnailTracks > 0)
        {
            source = ThumbnailSourceOf(log.Header.Input, videoPath);
            if (source is null)
            {
                thumbs = ThumbnailSet.None($"No thumbnails: the run's input '{log.Header.Input}' is not a file here; give --video.");
                warnings.Add(thumbs.Note);
            }
            else
            {
                try { thumbs = Thumbnails.Extract(analysis, source, cancel); }
                catch (Exception e) when (e is PoseTrackException or OpenCvSharp.OpenCVException)
                {
                    thumbs = ThumbnailSet.None($"No thumbnails: {e.Message.Split('\n')[0]}");
                    warnings.Add(thumbs.Note);
                }
                if (thumbs.ByTrack.Count > 0 && thumbs.ByTrack.Values.All(v => v.All(u => u is null))) warnings.Add(thumbs.Note);
            }
        }

        var html = HtmlReport.Render(analysis, thumbs);
        var bytes = Encoding.UTF8.GetBytes(html);
        // Written beside the target and moved over it, so a failed write never leaves half a page behind.
        var tmp = fullOut + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        OutputFile.Guard(outputPath, What, () =>
        {
            try
            {
                File.WriteAllBytes(tmp, bytes);
                File.Move(tmp, fullOut, overwrite: true);
            }
            finally { if (File.Exists(tmp)) File.Delete(tmp); }
            return 0;
        });
        return new ReportResult(analysis, fullOut, bytes.LongLength, warnings) { ThumbnailSource = thumbs is null ? null : source };
    }
}
