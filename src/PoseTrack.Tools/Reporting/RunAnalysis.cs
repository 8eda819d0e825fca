using System.Globalization;
using PoseTrack.Core;
using PoseTrack.Sinks;

namespace PoseTrack.Reporting;

/// <summary>One appearance of a track: where in the log (ordinal), which frame, and its box.</summary>
/// <param name="Ordinal">Position of the frame line in the log (0-based).</param>
/// <param name="Frame">Frame index.</param>
/// <param name="TimeMs">Frame timestamp.</param>
/// <param name="Box">The person box in that frame.</param>
internal readonly record struct TrackAppearance(int Ordinal, long Frame, double TimeMs, BoxF Box);

/// <summary>A run of frames in which a track is present in every logged frame (frame indices, inclusive).</summary>
internal readonly record struct TrackSegment(long Start, long End);

/// <summary>The kinds of suspected identity problems.</summary>
internal enum IssueKind
{
    /// <summary>A track ends and another starts soon after, close by: probably one person who got a new id.</summary>
    IdSwitch,
    /// <summary>A track seen in only a few frames: flicker (false detections or ids that do not stick).</summary>
    ShortTrack,
    /// <summary>A track's box moves too far between consecutive appearances: probably jumped to another person.</summary>
    Jump,
}

/// <summary>One suspected problem.</summary>
/// <param name="Kind">What kind of problem.</param>
/// <param name="Frame">The frame it happens at (the new track's first frame, the short track's first, the frame landed on).</param>
/// <param name="TrackId">The track concerned (for an id switch, the new track).</param>
/// <param name="OtherTrackId">For an id switch, the track that ended.</param>
/// <param name="Detail">A short human-readable explanation with the numbers.</param>
internal sealed record TrackIssue(IssueKind Kind, long Frame, int TrackId, int? OtherTrackId, string Detail);

/// <summary>What the report says about one track.</summary>
internal sealed class TrackStats
{
    /// <summary>Track id.</summary>
    public required int Id { get; init; }
    /// <summary>First frame index the track is in.</summary>
    public required long FirstFrame { get; init; }
    /// <summary>Last frame index the track is in.</summary>
    public required long LastFrame { get; init; }
    /// <summary>Number of frames the track is in.</summary>
    public required int Frames { get; init; }
    /// <summary>Runs of consecutive logged frames the track is in; more than one means it was lost and found again.</summary>
    public required IReadOnlyList<TrackSegment> Segments { get; init; }
    /// <summary>Mean person score.</summary>
    public required double MeanScore { get; init; }
    /// <summary>Mean of all its keypoint scores.</summary>
    public required double MeanKeypointConfidence { get; init; }
    /// <summary>Mean box height in pixels.</summary>
    public required double MeanBoxHeight { get; init; }
    /// <summary>
    /// Keypoint jitter: mean over joints and frames of |p(t+1) − 2p(t) + p(t−1)| / box height, the frame-to-frame
    /// acceleration in box heights per frame², from three consecutive frames in which the joint scores at least
    /// <see cref="ReportOptions.KeypointScoreThreshold"/>. Null when there is no such triple.
    /// </summary>
    public required double? Jitter { get; init; }
    /// <summary>90th percentile of the same acceleration samples.</summary>
    public required double? JitterP90 { get; init; }
    /// <summary>Number of acceleration samples behind <see cref="Jitter"/> (joints × frame triples).</summary>
    public required int JitterSamples { get; init; }
    /// <summary>Number of three-consecutive-frame windows behind <see cref="Jitter"/>.</summary>
    public required int JitterWindows { get; init; }
    /// <summary>Name of the joint with the highest mean acceleration, or null.</summary>
    public required string? WorstJoint { get; init; }
    /// <summary>Largest box-centre movement between consecutive appearances, in box heights per frame.</summary>
    public required double MaxStep { get; init; }
    /// <summary>First, middle and last appearance, for thumbnails.</summary>
    public required TrackAppearance First { get; init; }
    /// <inheritdoc cref="First"/>
    public required TrackAppearance Middle { get; init; }
    /// <inheritdoc cref="First"/>
    public required TrackAppearance Last { get; init; }
    /// <summary>The problems this track is part of.</summary>
    public List<IssueKind> Flags { get; } = [];
    /// <summary>Frames from the first to the last appearance, both included.</summary>
    public long Span => LastFrame - FirstFrame + 1;
}

/// <summary>Per-frame values for the plots, one entry per logged frame.</summary>
/// <param name="Frame">Frame index.</param>
/// <param name="People">Persons in the frame.</param>
/// <param name="MeanConfidence">Mean keypoint score over the persons of the frame (NaN when none).</param>
/// <param name="LoggedFps">1000 / (time_ms − previous time_ms): logged frames per second of video time (NaN for the first frame).</param>
internal sealed record FrameSeries(long[] Frame, int[] People, double[] MeanConfidence, double[] LoggedFps);

/// <summary>Run-level numbers.</summary>
internal sealed record RunSummary
{
    /// <summary>Frame lines read.</summary>
    public int FramesLogged { get; init; }
    /// <summary>First frame index, or null without frames.</summary>
    public long? FirstFrame { get; init; }
    /// <summary>Last frame index, or null without frames.</summary>
    public long? LastFrame { get; init; }
    /// <summary>Video time covered, from the first to the last time_ms plus one frame interval.</summary>
    public double DurationSeconds { get; init; }
    /// <summary>Frame indices missing between the first and the last logged frame (frames dropped by the pipeline).</summary>
    public long DroppedFrames { get; init; }
    /// <summary>Frames the header announced beyond the last logged one (run stopped early, or the log was cut).</summary>
    public long? MissingAtEnd { get; init; }
    /// <summary>Mean logged frames per second of video time ((n − 1) / (last − first time)), or null.</summary>
    public double? LoggedFpsMean { get; init; }
    /// <summary>Median of the per-frame logged rate.</summary>
    public double? LoggedFpsP50 { get; init; }
    /// <summary>90th percentile of the per-frame logged rate.</summary>
    public double? LoggedFpsP90 { get; init; }
    /// <summary>Source frames per second from frame indices and time_ms ((last − first index) / (last − first time)).</summary>
    public double? SourceFps { get; init; }
    /// <summary>Mean persons per frame.</summary>
    public double PeopleMean { get; init; }
    /// <summary>Median persons per frame.</summary>
    public double PeopleP50 { get; init; }
    /// <summary>Most persons in one frame.</summary>
    public int PeopleMax { get; init; }
    /// <summary>All persons in all frames.</summary>
    public long PersonDetections { get; init; }
    /// <summary>Persons without a track id.</summary>
    public long UntrackedPersons { get; init; }
    /// <summary>Mean keypoint score over every person of the run.</summary>
    public double? MeanKeypointConfidence { get; init; }
}

/// <summary>Everything a report shows, computed from a <see cref="RunLog"/>.</summary>
/// <param name="Log">The log.</param>
/// <param name="Options">The thresholds used.</param>
/// <param name="Summary">Run-level numbers.</param>
/// <param name="Tracks">Every track, by id.</param>
/// <param name="Issues">Suspected problems, by frame.</param>
/// <param name="Series">Per-frame values for the plots.</param>
internal sealed record RunAnalysis(RunLog Log, ReportOptions Options, RunSummary Summary, IReadOnlyList<TrackStats> Tracks,
    IReadOnlyList<TrackIssue> Issues, FrameSeries Series)
{
    /// <summary>
    /// Tracks ranked by jitter, most jittery first: first those with at least
    /// <see cref="ReportOptions.MinJitterWindows"/> windows behind the value, then those with fewer (a noisy
    /// estimate), then those without a value, by id.
    /// </summary>
    public IReadOnlyList<TrackStats> TracksByJitter =>
        [.. Tracks.OrderBy(t => t.Jitter is null).ThenBy(t => !IsJitterReliable(t)).ThenByDescending(t => t.Jitter ?? 0).ThenBy(t => t.Id)];

    /// <summary>True when the track's jitter comes from enough frame windows to rank it with the others.</summary>
    public bool IsJitterReliable(TrackStats t) => t.Jitter is not null && t.JitterWindows >= Options.MinJitterWindows;

    /// <summary>Computes the report's numbers from <paramref name="log"/>.</summary>
    public static RunAnalysis Analyze(RunLog log, ReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        options ??= new ReportOptions();
        options.Validate();
        var frames = log.Frames;
        int n = frames.Count;
        var series = new FrameSeries(new long[n], new int[n], new double[n], new double[n]);
        var byTrack = new Dictionary<int, List<(int Ordinal, JsonLinesPerson Person)>>();
        long persons = 0, untracked = 0, dropped = 0;
        double confSum = 0; long confN = 0;
        for (int i = 0; i < n; i++)
        {
            var f = frames[i];
            series.Frame[i] = f.Frame;
            series.People[i] = f.Persons.Count;
            double frameConf = 0; int frameConfN = 0;
            foreach (var p in f.Persons)
            {
                persons++;
                double c = MeanScore(p.Keypoints);
                if (!double.IsNaN(c)) { frameConf += c; frameConfN++; confSum += c; confN++; }
                if (p.TrackId is not int id) { untracked++; continue; }
                if (!byTrack.TryGetValue(id, out var list)) byTrack[id] = list = [];
                list.Add((i, p));
            }
            series.MeanConfidence[i] = frameConfN > 0 ? frameConf / frameConfN : double.NaN;
            series.LoggedFps[i] = double.NaN;
            if (i > 0)
            {
                double dt = f.TimeMs - frames[i - 1].TimeMs;
                if (dt > 0 && double.IsFinite(dt)) series.LoggedFps[i] = 1000.0 / dt;
                long gap = f.Frame - frames[i - 1].Frame - 1;
                if (gap > 0) dropped += gap;
            }
        }

        var summary = Summarize(log, series, persons, untracked, dropped, confN > 0 ? confSum / confN : null);
        var tracks = byTrack.OrderBy(kv => kv.Key).Select(kv => TrackOf(kv.Key, kv.Value, frames, log.Header.Skeleton, options)).ToList();
        var issues = FindIssues(tracks, byTrack, frames, options);
        return new RunAnalysis(log, options, summary, tracks, issues, series);
    }

    private static RunSummary Summarize(RunLog log, FrameSeries s, long persons, long untracked, long dropped, double? meanConf)
    {
        var frames = log.Frames;
        int n = frames.Count;
        if (n == 0) return new RunSummary { MissingAtEnd = log.Header.FrameCount };
        double fps = log.Header.Fps > 0 && double.IsFinite(log.Header.Fps) ? log.Header.Fps : 0;
        double span = frames[^1].TimeMs - frames[0].TimeMs;
        var rates = s.LoggedFps.Where(double.IsFinite).ToArray();
        Array.Sort(rates);
        var people = s.People.Select(p => (double)p).ToArray();
        Array.Sort(people);
        long last = frames[^1].Frame;
        if (!double.IsFinite(span)) span = 0;
        return new RunSummary
        {
            FramesLogged = n,
            // Min and max, not first and last: the timeline must hold every frame even in a log written out of order.
            FirstFrame = Math.Min(frames[0].Frame, frames.Min(f => f.Frame)),
            LastFrame = Math.Max(last, frames.Max(f => f.Frame)),
            DurationSeconds = Math.Max(0, span / 1000.0) + (fps > 0 ? 1 / fps : 0),
            DroppedFrames = dropped,
            MissingAtEnd = log.Header.FrameCount is long fc && fc > last + 1 ? fc - (last + 1) : null,
            LoggedFpsMean = n > 1 && span > 0 ? (n - 1) * 1000.0 / span : null,
            LoggedFpsP50 = rates.Length > 0 ? Percentile(rates, 0.5) : null,
            LoggedFpsP90 = rates.Length > 0 ? Percentile(rates, 0.9) : null,
            SourceFps = n > 1 && span > 0 ? (last - frames[0].Frame) * 1000.0 / span : null,
            PeopleMean = people.Average(),
            PeopleP50 = Percentile(people, 0.5),
            PeopleMax = s.People.Max(),
            PersonDetections = persons,
            UntrackedPersons = untracked,
            MeanKeypointConfidence = meanConf,
        };
    }

    private static TrackStats TrackOf(int id, List<(int Ordinal, JsonLinesPerson Person)> obs, IReadOnlyList<JsonLinesFrame> frames,
        Skeleton skeleton, ReportOptions options)
    {
        var segments = new List<TrackSegment>();
        long segStart = frames[obs[0].Ordinal].Frame;
        double scoreSum = 0, confSum = 0, heightSum = 0; int confN = 0, scoreN = 0, heightN = 0;
        double maxStep = 0;
        for (int i = 0; i < obs.Count; i++)
        {
            var (ord, p) = obs[i];
            if (float.IsFinite(p.Score)) { scoreSum += p.Score; scoreN++; }
            if (float.IsFinite(p.Box.Height)) { heightSum += p.Box.Height; heightN++; }
            foreach (var k in p.Keypoints)
                if (float.IsFinite(k.Score)) { confSum += k.Score; confN++; }
            if (i > 0)
            {
                var (prevOrd, prev) = obs[i - 1];
                if (ord != prevOrd + 1)
                {
                    segments.Add(new TrackSegment(segStart, frames[prevOrd].Frame));
                    segStart = frames[ord].Frame;
                }
                maxStep = Math.Max(maxStep, Step(prev.Box, p.Box, frames[ord].Frame - frames[prevOrd].Frame));
            }
        }
        segments.Add(new TrackSegment(segStart, frames[obs[^1].Ordinal].Frame));

        // Jitter: second differences of each joint over three consecutive frame indices, in box heights.
        int joints = skeleton.Count;
        var jointSum = new double[joints];
        var jointN = new int[joints];
        var samples = new List<double>();
        int windows = 0;
        float thr = options.KeypointScoreThreshold;
        for (int i = 2; i < obs.Count; i++)
        {
            var (o0, p0) = obs[i - 2];
            var (o1, p1) = obs[i - 1];
            var (o2, p2) = obs[i];
            if (frames[o1].Frame - frames[o0].Frame != 1 || frames[o2].Frame - frames[o1].Frame != 1) continue;
            double h = p1.Box.Height;
            if (!(h > 1)) continue;
            int m = Math.Min(joints, Math.Min(p0.Keypoints.Length, Math.Min(p1.Keypoints.Length, p2.Keypoints.Length)));
            int before = samples.Count;
            for (int j = 0; j < m; j++)
            {
                var a = p0.Keypoints[j]; var b = p1.Keypoints[j]; var c = p2.Keypoints[j];
                if (!(a.Score >= thr && b.Score >= thr && c.Score >= thr)) continue;
                double ax = c.X - 2.0 * b.X + a.X, ay = c.Y - 2.0 * b.Y + a.Y;
                double acc = Math.Sqrt(ax * ax + ay * ay) / h;
                if (!double.IsFinite(acc)) continue;
                samples.Add(acc);
                jointSum[j] += acc;
                jointN[j]++;
            }
            if (samples.Count > before) windows++;
        }
        double? jitter = null, p90 = null;
        string? worst = null;
        if (samples.Count > 0)
        {
            jitter = samples.Average();
            var sorted = samples.ToArray();
            Array.Sort(sorted);
            p90 = Percentile(sorted, 0.9);
            double best = -1;
            for (int j = 0; j < joints; j++)
                if (jointN[j] > 0 && jointSum[j] / jointN[j] > best) { best = jointSum[j] / jointN[j]; worst = skeleton.JointNames[j]; }
        }

        TrackAppearance App(int i) => new(obs[i].Ordinal, frames[obs[i].Ordinal].Frame, frames[obs[i].Ordinal].TimeMs, obs[i].Person.Box);
        return new TrackStats
        {
            Id = id,
            FirstFrame = frames[obs[0].Ordinal].Frame,
            LastFrame = frames[obs[^1].Ordinal].Frame,
            Frames = obs.Count,
            Segments = segments,
            MeanScore = scoreN > 0 ? scoreSum / scoreN : 0,
            MeanKeypointConfidence = confN > 0 ? confSum / confN : 0,
            MeanBoxHeight = heightN > 0 ? heightSum / heightN : 0,
            Jitter = jitter,
            JitterP90 = p90,
            JitterSamples = samples.Count,
            JitterWindows = windows,
            WorstJoint = worst,
            MaxStep = maxStep,
            First = App(0),
            Middle = App(obs.Count / 2),
            Last = App(obs.Count - 1),
        };
    }

    /// <summary>Box-centre movement in mean box heights per frame over <paramref name="frameGap"/> frames.</summary>
    private static double Step(BoxF a, BoxF b, long frameGap)
    {
        double h = (a.Height + b.Height) / 2;
        if (!(h > 1) || frameGap < 1) return 0;
        double d = Distance(a, b);
        return double.IsFinite(d) ? d / h / frameGap : 0;
    }

    private static double Distance(BoxF a, BoxF b)
    {
        double dx = (b.X + b.Width / 2.0) - (a.X + a.Width / 2.0);
        double dy = (b.Y + b.Height / 2.0) - (a.Y + a.Height / 2.0);
        return Math.Sqrt(dx * dx + dy * dy);
    }

    private static List<TrackIssue> FindIssues(List<TrackStats> tracks, Dictionary<int, List<(int Ordinal, JsonLinesPerson Person)>> byTrack,
        IReadOnlyList<JsonLinesFrame> frames, ReportOptions o)
    {
        var issues = new List<TrackIssue>();

        // Likely id switches: (ended A, started B) pairs close in time and space, matched greedily by distance so
        // each track ends or starts at most one switch.
        var pairs = new List<(double Dist, TrackStats A, TrackStats B)>();
        var byEnd = tracks.OrderBy(t => t.LastFrame).ToList();
        var timeOf = new Dictionary<long, double>(frames.Count);
        foreach (var f in frames) timeOf.TryAdd(f.Frame, f.TimeMs);
        foreach (var b in tracks)
            foreach (var a in byEnd)
            {
                if (a.LastFrame >= b.FirstFrame) break;
                double gapSeconds = (timeOf[b.FirstFrame] - timeOf[a.LastFrame]) / 1000.0;
                if (gapSeconds > o.SwitchSeconds) continue;
                double d = Distance(a.Last.Box, b.First.Box);
                if (d <= o.SwitchBoxHeights * Math.Max(1f, a.Last.Box.Height)) pairs.Add((d, a, b));
            }
        var usedA = new HashSet<int>();
        var usedB = new HashSet<int>();
        foreach (var (d, a, b) in pairs.OrderBy(p => p.Dist).ThenBy(p => p.B.Id))
        {
            if (usedA.Contains(a.Id) || usedB.Contains(b.Id)) continue;
            usedA.Add(a.Id); usedB.Add(b.Id);
            long gap = b.FirstFrame - a.LastFrame;
            issues.Add(new TrackIssue(IssueKind.IdSwitch, b.FirstFrame, b.Id, a.Id,
                string.Create(CultureInfo.InvariantCulture, $"#{a.Id} ends at frame {a.LastFrame}, #{b.Id} starts {gap} frame{(gap == 1 ? "" : "s")} later {d:F0} px away")));
            a.Flags.Add(IssueKind.IdSwitch);
            b.Flags.Add(IssueKind.IdSwitch);
        }

        foreach (var t in tracks)
        {
            if (t.Frames < o.ShortTrackFrames)
            {
                issues.Add(new TrackIssue(IssueKind.ShortTrack, t.FirstFrame, t.Id, null,
                    $"seen in {t.Frames} frame{(t.Frames == 1 ? "" : "s")} ({(t.FirstFrame == t.LastFrame ? $"frame {t.FirstFrame}" : $"frames {t.FirstFrame}–{t.LastFrame}")})"));
                t.Flags.Add(IssueKind.ShortTrack);
            }
            var obs = byTrack[t.Id];
            bool jumped = false;
            for (int i = 1; i < obs.Count; i++)
            {
                var (po, prev) = obs[i - 1];
                var (co, cur) = obs[i];
                long g = frames[co].Frame - frames[po].Frame;
                double step = Step(prev.Box, cur.Box, g);
                if (step <= o.JumpBoxHeights) continue;
                issues.Add(new TrackIssue(IssueKind.Jump, frames[co].Frame, t.Id, null,
                    string.Create(CultureInfo.InvariantCulture,
                        $"box moves {Distance(prev.Box, cur.Box):F0} px = {step:F2} box heights/frame between frames {frames[po].Frame} and {frames[co].Frame}")));
                jumped = true;
            }
            if (jumped) t.Flags.Add(IssueKind.Jump);
        }
        issues.Sort((x, y) => x.Frame != y.Frame ? x.Frame.CompareTo(y.Frame) : x.TrackId.CompareTo(y.TrackId));
        return issues;
    }

    /// <summary>Mean of the finite keypoint scores; NaN when there are none.</summary>
    private static double MeanScore(Keypoint[] kps)
    {
        double s = 0; int n = 0;
        foreach (var k in kps)
            if (float.IsFinite(k.Score)) { s += k.Score; n++; }
        return n > 0 ? s / n : double.NaN;
    }

    /// <summary>Linear-interpolated percentile of an ascending array.</summary>
    internal static double Percentile(double[] sorted, double q)
    {
        if (sorted.Length == 0) return double.NaN;
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
