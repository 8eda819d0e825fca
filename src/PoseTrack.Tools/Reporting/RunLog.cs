using PoseTrack.Core;
using PoseTrack.Sinks;

namespace PoseTrack.Reporting;

/// <summary>
/// A JSON lines run log read for a report: the header, every frame that could be read, and what was wrong with the
/// rest. Unlike <see cref="JsonLinesReader.ReadAll"/> a bad frame line does not end the reading: it is skipped and
/// counted, so a report can still be written from the good lines.
/// </summary>
/// <param name="Path">The file as given.</param>
/// <param name="Header">The header line.</param>
/// <param name="Frames">The frames that parsed, in file order.</param>
/// <param name="PartialLastLine">True when the file ended in an incomplete line (a killed writer), which was skipped.</param>
/// <param name="BadLines">Number of frame lines that were not valid frames and were skipped.</param>
/// <param name="FirstBadLine">The reader's message for the first skipped bad line, or null.</param>
internal sealed record RunLog(string Path, JsonLinesHeader Header, IReadOnlyList<JsonLinesFrame> Frames, bool PartialLastLine,
    int BadLines, string? FirstBadLine)
{
    /// <summary>The closing summary line (processing rate, how the run ended), or null: a killed run, or a log still being written.</summary>
    public RunTotals? Summary { get; init; }

    /// <summary>
    /// Reads <paramref name="path"/>. Throws <see cref="PoseTrackException"/> (one line) only when nothing can be
    /// reported: the file is missing, empty, not JSON lines, or has no header. Bad frame lines are skipped and
    /// counted; when no frame line at all is good (reading gives up after <paramref name="maxBadLines"/> bad ones)
    /// there is nothing to report and that is an error too. A header with no frame lines is not an error.
    /// </summary>
    public static RunLog Load(string path, int maxBadLines = 1000)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new PoseTrackException("no run log given");
        if (Directory.Exists(path)) throw new PoseTrackException($"run log '{path}' is a folder, not a JSON lines file");
        if (!File.Exists(path)) throw new PoseTrackException($"run log not found: {path}");
        using var reader = JsonLinesReader.Open(path);
        var frames = new List<JsonLinesFrame>();
        int bad = 0;
        string? firstBad = null;
        while (true)
        {
            try
            {
                if (!reader.TryReadFrame(out var frame)) break;
                frames.Add(frame);
            }
            catch (PoseTrackException e)
            {
                // The reader has moved past the bad line: note it and go on with the next one.
                bad++;
                firstBad ??= e.Message;
                if (bad > maxBadLines && frames.Count == 0) throw NoFrames(path, bad, e);
            }
        }
        if (frames.Count == 0 && bad > 0) throw NoFrames(path, bad, null, firstBad);
        return new RunLog(path, reader.Header, frames, reader.SkippedPartialLine, bad, firstBad) { Summary = reader.Summary };
    }

    private static PoseTrackException NoFrames(string path, int bad, Exception? inner, string? first = null)
        => new($"run log '{path}': none of its {(inner is null ? "" : "first ")}{bad} frame line{(bad == 1 ? "" : "s")} could be read, nothing to report ({(first ?? inner?.Message ?? "").TrimEnd('.')})", inner: inner);

    /// <summary>The problems met while reading, as sentences for the report and the console; empty when none.</summary>
    public IReadOnlyList<string> ReadWarnings()
    {
        var w = new List<string>();
        if (PartialLastLine)
            w.Add("The log ends in an incomplete line (the run was killed or is still writing); it was skipped and the rest is reported.");
        if (BadLines > 0)
            w.Add($"{BadLines} frame line{(BadLines == 1 ? " was" : "s were")} not valid and skipped; the first: {FirstBadLine}");
        if (Frames.Count == 0)
            w.Add("The log has a header but no frames: there is nothing but the header to report.");
        return w;
    }
}
