using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Sources;

namespace PoseTrack.Reporting;

/// <summary>Small JPEG crops of tracks, as data URIs, and a line saying where they came from.</summary>
/// <param name="ByTrack">Track id → first, middle and last crop (an entry is null when that frame could not be read).</param>
/// <param name="Note">One sentence for the report: the video used and how many crops were found, or why there are none.</param>
internal sealed record ThumbnailSet(IReadOnlyDictionary<int, string?[]> ByTrack, string Note)
{
    /// <summary>No thumbnails, with the reason.</summary>
    public static ThumbnailSet None(string why) => new(new Dictionary<int, string?[]>(), why);
}

/// <summary>Cuts the first, middle and last appearance of tracks out of a video in one sequential pass.</summary>
internal static class Thumbnails
{
    private const int JpegQuality = 70;

    /// <summary>
    /// Which tracks get thumbnails: flagged ones first, then the longest, at most
    /// <see cref="ReportOptions.MaxThumbnailTracks"/>; returned by id.
    /// </summary>
    public static IReadOnlyList<TrackStats> Select(RunAnalysis analysis)
        => [.. analysis.Tracks.OrderByDescending(t => t.Flags.Count > 0).ThenByDescending(t => t.Frames).ThenBy(t => t.Id)
            .Take(analysis.Options.MaxThumbnailTracks).OrderBy(t => t.Id)];

    /// <summary>
    /// Reads <paramref name="videoPath"/> once from the start and crops the selected tracks. The log's frames are
    /// matched to the video's by position when the video has exactly as many frames as the log (the annotated
    /// output of the same run), otherwise by timestamp (the original input, also after --start or dropped frames).
    /// Throws <see cref="PoseTrackException"/> when the video cannot be opened.
    /// </summary>
    public static ThumbnailSet Extract(RunAnalysis analysis, string videoPath, CancellationToken cancel = default)
    {
        var tracks = Select(analysis);
        if (tracks.Count == 0) return ThumbnailSet.None("No tracks, so no thumbnails.");
        using var source = new VideoFileSource(videoPath);
        var info = source.Info;
        var header = analysis.Log.Header;
        int logged = analysis.Log.Frames.Count;
        bool byPosition = info.FrameCount == logged;
        double sx = header.Width > 0 ? (double)info.Width / header.Width : 1, sy = header.Height > 0 ? (double)info.Height / header.Height : 1;

        var requests = new List<(int Track, int Slot, TrackAppearance App)>();
        foreach (var t in tracks)
        {
            requests.Add((t.Id, 0, t.First));
            requests.Add((t.Id, 1, t.Middle));
            requests.Add((t.Id, 2, t.Last));
        }
        requests.Sort((a, b) => byPosition ? a.App.Ordinal.CompareTo(b.App.Ordinal) : a.App.TimeMs.CompareTo(b.App.TimeMs));

        var result = tracks.ToDictionary(t => t.Id, _ => new string?[3]);
        double tolerance = 500.0 / (info.Fps > 0 ? info.Fps : 25);
        int next = 0, found = 0;
        long position = 0;
        using var frame = new Mat();
        while (next < requests.Count && source.Read(frame, out double timeMs))
        {
            cancel.ThrowIfCancellationRequested();
            long pos = position++;
            if (byPosition)
            {
                while (next < requests.Count && requests[next].App.Ordinal < pos) next++;
                while (next < requests.Count && requests[next].App.Ordinal == pos) Crop(requests[next++]);
            }
            else
            {
                while (next < requests.Count && requests[next].App.TimeMs < timeMs - tolerance) next++;
                while (next < requests.Count && Math.Abs(requests[next].App.TimeMs - timeMs) <= tolerance) Crop(requests[next++]);
            }
        }

        int wanted = requests.Count;
        string how = byPosition ? "matched by frame position" : "matched by timestamp";
        string note = $"Thumbnails from {videoPath} ({how}): {found} of {wanted} crops for {tracks.Count} of {analysis.Tracks.Count} tracks"
                      + (tracks.Count < analysis.Tracks.Count ? " (flagged tracks first, then the longest)" : "") + ".";
        if (found < wanted)
            note += $" {wanted - found} frames were not found in the video" + (found == 0 ? " — is it the video of this run?" : ".");
        return new ThumbnailSet(result, note);

        void Crop((int Track, int Slot, TrackAppearance App) r)
        {
            var b = r.App.Box;
            double padX = b.Width * 0.1, padY = b.Height * 0.06;
            int x0 = (int)Math.Floor((b.X - padX) * sx), y0 = (int)Math.Floor((b.Y - padY) * sy);
            int x1 = (int)Math.Ceiling((b.X + b.Width + padX) * sx), y1 = (int)Math.Ceiling((b.Y + b.Height + padY) * sy);
            x0 = Math.Clamp(x0, 0, frame.Cols); x1 = Math.Clamp(x1, 0, frame.Cols);
            y0 = Math.Clamp(y0, 0, frame.Rows); y1 = Math.Clamp(y1, 0, frame.Rows);
            if (x1 - x0 < 2 || y1 - y0 < 2) return;
            using var roi = new Mat(frame, new Rect(x0, y0, x1 - x0, y1 - y0));
            int h = analysis.Options.ThumbnailHeight;
            int w = Math.Clamp((int)Math.Round((double)roi.Cols * h / roi.Rows), 8, 2 * h);
            using var small = new Mat();
            Cv2.Resize(roi, small, new Size(w, h), interpolation: InterpolationFlags.Area);
            Cv2.ImEncode(".jpg", small, out var jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, JpegQuality));
            result[r.Track][r.Slot] = "data:image/jpeg;base64," + Convert.ToBase64String(jpeg);
            found++;
        }
    }
}
