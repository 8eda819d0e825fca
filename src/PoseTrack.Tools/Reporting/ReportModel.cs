using System.Globalization;

namespace PoseTrack.Reporting;

// What Templates/report.liquid renders. Numbers are formatted here (invariant culture) and the geometry of the SVG
// plots is computed here; the template only lays them out. Strings from the log stay plain text: the template's
// encoder escapes them.
// The plots are drawn as SVG by hand (Plot below, about 50 lines) rather than with ScottPlot: ScottPlot 5 renders SVG
// through SkiaSharp, which brings native libSkiaSharp and libHarfBuzzSharp for every runtime into the tool, and its SVG
// needs fixing before it can be inlined (an XML prolog, a fixed pixel size, clipPath ids that repeat across plots).

/// <summary>The whole page.</summary>
internal sealed record ReportPage(string Title, string Input, string Created, string LogPath, string Generated,
    IReadOnlyList<string> Warnings, IReadOnlyList<SummaryCard> Cards, SummaryFacts Facts, TimelineModel? Timeline,
    ProblemsModel Problems, JitterModel Jitter, PlotsModel Plots, ThumbnailsModel? Thumbnails);

/// <summary>A big number on the summary.</summary>
internal sealed record SummaryCard(string Value, string Label, string? Class = null);

/// <summary>The summary's key–value table, each value formatted; null rows are left out.</summary>
internal sealed record SummaryFacts(string Input, bool InputFound, string FrameSize, string Detector, string Pose, string Skeleton,
    string Fps, string? FramesLogged, string? LoggedRate, string Dropped, string? People, string? MeanConfidence, string Problems)
{
    /// <summary>Processing rate and how the run ended, from the log's closing summary line; null when the log has none.</summary>
    public string? Processing { get; init; }
}

/// <summary>The track timeline: axis ticks (percent of the width) and one row per track (SVG units 0–1000).</summary>
internal sealed record TimelineModel(IReadOnlyList<Tick> Ticks, IReadOnlyList<TimelineRow> Rows);

/// <summary>An axis tick: where (percent, or SVG units) and its label.</summary>
internal sealed record Tick(string At, string Label);

/// <summary>One track on the timeline: the band from first to last appearance, the bars where present, the marks.</summary>
internal sealed record TimelineRow(int Id, bool Flagged, long Start, int Len, string Tip, string Colour, Span Band,
    IReadOnlyList<Span> Bars, IReadOnlyList<Span> Switches, IReadOnlyList<Span> Jumps);

/// <summary>A horizontal extent in SVG units.</summary>
internal sealed record Span(string X, string W);

/// <summary>The suspected problems: the thresholds in words and the first <see cref="HtmlReport.MaxIssueRows"/> rows.</summary>
internal sealed record ProblemsModel(string Rules, IReadOnlyList<ProblemRow> Rows, int Total);

/// <summary>One suspected problem.</summary>
internal sealed record ProblemRow(long Frame, string Kind, string Label, int TrackId, int? OtherTrackId, string Detail);

/// <summary>The jitter table, most jittery first.</summary>
internal sealed record JitterModel(string Threshold, int MinWindows, IReadOnlyList<JitterRow> Rows);

/// <summary>One track's jitter, confidence and flags; each number with its sort key (data-v).</summary>
internal sealed record JitterRow(int Rank, int Id, bool HasThumbnail, bool Reliable, int Frames, long FirstFrame, long LastFrame,
    string JitterKey, string? Jitter, string BarPercent, string P90Key, string P90, string WorstJoint, string ConfKey, string Conf,
    string ScoreKey, string Score, string StepKey, string Step, IReadOnlyList<Flag> Flags, bool FewFrames);

/// <summary>A problem badge.</summary>
internal sealed record Flag(string Kind, string Label);

/// <summary>The plots over time, and a sentence instead of the frame-rate plot when the rate is constant.</summary>
internal sealed record PlotsModel(bool Any, IReadOnlyList<LinePlot> Plots, string? ConstantRate);

/// <summary>An SVG line plot (viewBox <see cref="LinePlot.W"/> × <see cref="LinePlot.H"/>): mean line, optional min–max band.</summary>
internal sealed record LinePlot(string Title, string Colour, IReadOnlyList<Tick> YTicks, IReadOnlyList<Tick> XTicks,
    string? Band, string? Path, string? Caption)
{
    /// <summary>Plot size and margins in SVG units.</summary>
    public const double W = 620, H = 180, L = 44, R = 10, T = 26, B = 28;
    public double Width => W;
    public double Height => H;
    public double Left => L;
    public double Right => W - R;
    public double TitleY => 16;
    public double LabelX => L - 6;
    public double XAxisY => H - 10;
}

/// <summary>Thumbnails: where they came from and one card per track that has some.</summary>
internal sealed record ThumbnailsModel(string Note, IReadOnlyList<ThumbnailCard> Cards);

/// <summary>First, middle and last crop of a track (a null source: that frame could not be read).</summary>
internal sealed record ThumbnailCard(int Id, bool Flagged, long FirstFrame, long LastFrame, IReadOnlyList<ThumbnailImage> Images);

/// <summary>A crop as a data URI, and its frame.</summary>
internal sealed record ThumbnailImage(string? Src, long Frame);

/// <summary>Builds a <see cref="ReportPage"/> from an analysis.</summary>
internal static class ReportModel
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Timeline width in SVG units; a segment is drawn at least <see cref="MinBarUnits"/> wide.</summary>
    private const double TimelineUnits = 1000, MinBarUnits = 1.5;

    public static ReportPage Build(RunAnalysis a, ThumbnailSet? thumbnails, DateTimeOffset now)
    {
        var h = a.Log.Header;
        string name = Path.GetFileName(h.Input.TrimEnd('/', '\\'));
        if (string.IsNullOrEmpty(name)) name = h.Input;
        return new ReportPage($"PoseTrack report: {name}", h.Input, h.Created.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", Inv),
            a.Log.Path, now.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", Inv), a.Log.ReadWarnings(), Cards(a), Facts(a),
            Timeline(a), Problems(a), Jitter(a, thumbnails), Plots(a), thumbnails is null ? null : Thumbs(a, thumbnails));
    }

    private static List<SummaryCard> Cards(RunAnalysis a)
    {
        var s = a.Summary;
        return
        [
            new(s.FramesLogged.ToString("N0", Inv), "frames"),
            new(Duration(s.DurationSeconds), "video time"),
            new(a.Tracks.Count.ToString("N0", Inv), "tracks seen"),
            new(s.FramesLogged > 0 ? s.PeopleMean.ToString("F1", Inv) : "–", "people / frame (mean)"),
            new(a.Issues.Count.ToString("N0", Inv), "suspected problems", a.Issues.Count > 0 ? "bad" : "good"),
            new(s.DroppedFrames.ToString("N0", Inv), "dropped frames", s.DroppedFrames > 0 ? "bad" : null),
        ];
    }

    private static SummaryFacts Facts(RunAnalysis a)
    {
        var s = a.Summary;
        var h = a.Log.Header;
        bool any = s.FramesLogged > 0;
        var kinds = a.Issues.GroupBy(i => i.Kind).ToDictionary(g => g.Key, g => g.Count());
        return new SummaryFacts(h.Input, File.Exists(h.Input), I($"{h.Width} × {h.Height}"), h.DetectorModel ?? "none", h.PoseModel ?? "none",
            h.Skeleton.Name,
            Num(h.Fps, "0.###") + (h.FrameCount is long fc ? I($", {fc:N0} frames announced") : ", frame count unknown (live source)"),
            any ? I($"{s.FramesLogged:N0} (frame {s.FirstFrame} to {s.LastFrame})")
                  + (s.MissingAtEnd is long m ? I($"; the log stops {m:N0} frames before the announced end") : "") : null,
            !any ? null : s.LoggedFpsMean is double fm
                ? I($"mean {fm:F2}, p50 {s.LoggedFpsP50:F2}, p90 {s.LoggedFpsP90:F2}") + (s.SourceFps is double sf ? I($"; source {sf:F2} fps") : "")
                : "–",
            s.DroppedFrames == 0 ? "none (no gaps in the frame numbers)" : I($"{s.DroppedFrames:N0} frame numbers missing between the first and last logged frame"),
            any ? I($"mean {s.PeopleMean:F2}, median {s.PeopleP50:0.#}, max {s.PeopleMax}; {s.PersonDetections:N0} person detections")
                  + (s.UntrackedPersons > 0 ? I($", {s.UntrackedPersons:N0} without a track id") : "") : null,
            any ? (s.MeanKeypointConfidence is double c ? c.ToString("F3", Inv) : "–") : null,
            I($"{kinds.GetValueOrDefault(IssueKind.IdSwitch)} likely id switches, {kinds.GetValueOrDefault(IssueKind.ShortTrack)} short tracks, {kinds.GetValueOrDefault(IssueKind.Jump)} jumps"))
        {
            Processing = a.Log.Summary is { } t
                ? I($"{t.Fps:F2} fps ({t.Frames:N0} frames in {t.Seconds:F1} s, {t.Tracks:N0} tracks, {t.Dropped:N0} dropped)")
                  + (t.Stopped ? "; stopped early by the user" : "")
                : null,
        };
    }

    private static TimelineModel? Timeline(RunAnalysis a)
    {
        if (a.Tracks.Count == 0 || a.Summary.FirstFrame is not long f0 || a.Summary.LastFrame is not long f1) return null;
        double span = f1 - f0 + 1;
        double X(double frame) => (frame - f0) / span * TimelineUnits;
        var ticks = HtmlReport.Ticks(f0, f1, 8).Select(t => new Tick(F((t - f0) / span * 100, "F2"), F(t))).ToList();
        var switchStart = a.Issues.Where(i => i.Kind == IssueKind.IdSwitch).ToLookup(i => i.TrackId);
        var switchEnd = a.Issues.Where(i => i.Kind == IssueKind.IdSwitch).ToLookup(i => i.OtherTrackId ?? 0);
        var jumps = a.Issues.Where(i => i.Kind == IssueKind.Jump).ToLookup(i => i.TrackId);
        var rows = new List<TimelineRow>(a.Tracks.Count);
        foreach (var t in a.Tracks)
        {
            var tip = I($"#{t.Id}: frames {t.FirstFrame}–{t.LastFrame}, in {t.Frames} frames, {t.Segments.Count - 1} gaps");
            foreach (var i in switchEnd[t.Id]) tip += I($"; ended, then #{i.TrackId} started at frame {i.Frame}");
            foreach (var i in switchStart[t.Id]) tip += I($"; started after #{i.OtherTrackId} ended");
            if (t.Flags.Contains(IssueKind.ShortTrack)) tip += "; short track";
            int nj = jumps[t.Id].Count();
            if (nj > 0) tip += I($"; {nj} jump{(nj == 1 ? "" : "s")}");

            // Bars where present; a gap too small to see at this scale joins its neighbours.
            var bars = new List<Span>();
            double? s0 = null, e0 = null;
            foreach (var seg in t.Segments)
            {
                double x0 = X(seg.Start), x1 = X(seg.End + 1);
                if (e0 is double pe && x0 - pe < 0.5) { e0 = x1; continue; }
                if (s0 is double ps) bars.Add(Bar(ps, e0!.Value));
                s0 = x0; e0 = x1;
            }
            if (s0 is double ls) bars.Add(Bar(ls, e0!.Value));
            double end = X(t.LastFrame + 1);
            rows.Add(new TimelineRow(t.Id, t.Flags.Count > 0, t.FirstFrame, t.Frames, tip, HtmlReport.Colour(t.Id), Bar(X(t.FirstFrame), end),
                bars,
                [.. switchStart[t.Id].Select(i => new Span(F(X(i.Frame), "F1"), "3")), .. switchEnd[t.Id].Select(_ => new Span(F(Math.Max(end - 3, 0), "F1"), "3"))],
                [.. jumps[t.Id].Select(i => new Span(F(Math.Max(X(i.Frame) - 1, 0), "F1"), "2"))]));
        }
        return new TimelineModel(ticks, rows);

        static Span Bar(double x0, double x1) => new(F(x0, "F1"), F(Math.Max(x1 - x0, MinBarUnits), "F1"));
    }

    private static ProblemsModel Problems(RunAnalysis a)
    {
        var o = a.Options;
        string rules = I($"Likely id switch (the tracker's re-finding rule): a track starts at most {o.SwitchSeconds:0.##} s after another ended, its first box centre within {o.SwitchBoxHeights:0.##} of the other's box heights of its last. ")
                       + I($"Short track: seen in fewer than {o.ShortTrackFrames} frames. ")
                       + I($"Jump: the box centre moves more than {o.JumpBoxHeights:0.##} box heights per frame between two appearances.");
        var rows = a.Issues.Take(HtmlReport.MaxIssueRows)
            .Select(i => new ProblemRow(i.Frame, i.Kind.ToString(), Label(i.Kind, full: true), i.TrackId, i.OtherTrackId, i.Detail)).ToList();
        return new ProblemsModel(rules, rows, a.Issues.Count);
    }

    private static JitterModel Jitter(RunAnalysis a, ThumbnailSet? thumbs)
    {
        double max = a.Tracks.Count == 0 ? 0 : a.Tracks.Max(t => t.Jitter ?? 0);
        var rows = a.TracksByJitter.Select((t, k) =>
        {
            bool reliable = a.IsJitterReliable(t);
            return new JitterRow(k + 1, t.Id, thumbs?.ByTrack.ContainsKey(t.Id) == true, reliable, t.Frames, t.FirstFrame, t.LastFrame,
                F(t.Jitter ?? -1, "R"), t.Jitter is double j ? F(j * 100, "F2") : null, F(max > 0 ? (t.Jitter ?? 0) / max * 100 : 0, "F0"),
                F(t.JitterP90 ?? -1, "R"), t.JitterP90 is double p ? F(p * 100, "F2") : "–", t.WorstJoint ?? "–",
                F(t.MeanKeypointConfidence, "R"), F(t.MeanKeypointConfidence, "F3"), F(t.MeanScore, "R"), F(t.MeanScore, "F3"),
                F(t.MaxStep, "R"), F(t.MaxStep, "F2"),
                [.. t.Flags.Distinct().Select(f => new Flag(f.ToString(), Label(f, full: false)))], !reliable && t.Jitter is not null);
        }).ToList();
        return new JitterModel(F(a.Options.KeypointScoreThreshold, "0.##"), a.Options.MinJitterWindows, rows);
    }

    private static PlotsModel Plots(RunAnalysis a)
    {
        var s = a.Series;
        if (s.Frame.Length == 0) return new PlotsModel(false, [], null);
        var plots = new List<LinePlot>
        {
            Plot("People per frame", s.Frame, [.. s.People.Select(p => (double)p)], "0", "#2e6fbd"),
            Plot("Mean keypoint confidence", s.Frame, s.MeanConfidence, "0.00", "#2a9d5c", yMaxAtLeast: 1),
        };
        var rates = s.LoggedFps.Where(double.IsFinite).ToArray();
        string? constant = null;
        if (rates.Length > 1 && rates.Max() - rates.Min() > 0.01 * rates.Max())
            plots.Add(Plot("Logged frames per second of video time", s.Frame, s.LoggedFps, "0.#", "#b5651d"));
        else if (rates.Length > 0)
            constant = I($"Logged frame rate is constant at {rates[0]:0.##} per second of video time (no plot).");
        return new PlotsModel(true, plots, constant);
    }

    /// <summary>A line plot over frame numbers; longer series are averaged into buckets with a min–max band.</summary>
    internal static LinePlot Plot(string title, long[] frames, double[] values, string fmt, string colour, double yMaxAtLeast = 0)
    {
        const double W = LinePlot.W, H = LinePlot.H, L = LinePlot.L, R = LinePlot.R, T = LinePlot.T, B = LinePlot.B;
        int n = frames.Length;
        int buckets = Math.Min(n, HtmlReport.PlotBuckets);
        var mean = new double[buckets]; var lo = new double[buckets]; var hi = new double[buckets]; var at = new double[buckets];
        for (int b = 0; b < buckets; b++)
        {
            int i0 = (int)((long)b * n / buckets), i1 = (int)((long)(b + 1) * n / buckets);
            double sum = 0, mn = double.PositiveInfinity, mx = double.NegativeInfinity; int c = 0;
            for (int i = i0; i < i1; i++)
            {
                double v = values[i];
                if (!double.IsFinite(v)) continue;
                sum += v; c++; mn = Math.Min(mn, v); mx = Math.Max(mx, v);
            }
            mean[b] = c > 0 ? sum / c : double.NaN; lo[b] = mn; hi[b] = mx;
            at[b] = (frames[i0] + frames[i1 - 1]) / 2.0;
        }
        var finite = values.Where(double.IsFinite).ToArray();
        double yMax = Math.Max(finite.Length == 0 ? 1 : finite.Max(), yMaxAtLeast); // every plot here counts or rates from zero
        if (yMax <= 0) yMax = 1;
        double x0 = frames[0], x1 = Math.Max(frames[^1], frames[0] + 1);
        double PX(double f) => L + (f - x0) / (x1 - x0) * (W - L - R);
        double PY(double v) => T + (1 - v / yMax) * (H - T - B);
        string P(double f, double v) => I($"{PX(f):F1},{PY(v):F1}");

        var yTicks = new[] { 0, yMax / 2, yMax }.Select(v => new Tick(F(PY(v), "F1"), v.ToString(fmt, Inv))).ToList();
        var xTicks = HtmlReport.Ticks(frames[0], frames[^1], 7).Select(t => new Tick(F(PX(t), "F1"), F(t))).ToList();
        string? band = null;
        if (n > buckets)
        {
            var edge = Enumerable.Range(0, buckets).Where(b => double.IsFinite(hi[b])).ToList();
            if (edge.Count > 1)
                band = string.Join(' ', edge.Select(b => P(at[b], hi[b])).Concat(edge.AsEnumerable().Reverse().Select(b => P(at[b], lo[b]))));
        }
        var path = new List<string>();
        bool pen = false;
        for (int b = 0; b < buckets; b++)
        {
            if (!double.IsFinite(mean[b])) { pen = false; continue; }
            path.Add((pen ? "L" : "M") + I($"{PX(at[b]):F1} {PY(mean[b]):F1}"));
            pen = true;
        }
        return new LinePlot(title, colour, yTicks, xTicks, band, path.Count > 0 ? string.Join(' ', path) : null,
            n > buckets ? I($"{n:N0} frames averaged into {buckets} points; the band shows min–max.") : null);
    }

    private static ThumbnailsModel Thumbs(RunAnalysis a, ThumbnailSet thumbs)
        => new(thumbs.Note, [.. a.Tracks.Where(t => thumbs.ByTrack.ContainsKey(t.Id)).Select(t => new ThumbnailCard(t.Id, t.Flags.Count > 0,
            t.FirstFrame, t.LastFrame, [.. new[] { t.First, t.Middle, t.Last }.Select((app, k) => new ThumbnailImage(thumbs.ByTrack[t.Id][k], app.Frame))]))]);

    private static string Label(IssueKind kind, bool full) => kind switch
    {
        IssueKind.IdSwitch => full ? "id switch" : "switch",
        IssueKind.ShortTrack => full ? "short track" : "short",
        _ => "jump",
    };

    private static string Duration(double seconds)
        => seconds < 60 ? I($"{seconds:F1} s") : seconds < 3600 ? I($"{(int)(seconds / 60)} min {seconds % 60:F0} s") : I($"{seconds / 3600:F1} h");

    private static string Num(double v, string fmt) => double.IsFinite(v) ? v.ToString(fmt, Inv) : "–";

    private static string F(double v, string fmt) => v.ToString(fmt, Inv);

    private static string F(long v) => v.ToString(Inv);

    private static string I(FormattableString s) => s.ToString(Inv);
}
