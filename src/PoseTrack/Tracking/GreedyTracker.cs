using System.Runtime.InteropServices;
using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Tracking;

/// <summary>
/// The part every tracker here shares: track lifecycle and global greedy matching. Subclasses only say how
/// similar a person is to a track (<see cref="TryScore"/>).
/// <para>Lifecycle (README "Track lifecycle"): a plausible person scoring at least
/// <see cref="TrackerOptions.TrackStartScore"/> that continues no track starts a <b>tentative</b> track (no id, not in
/// the outputs); matched in <see cref="TrackerOptions.ConfirmHits"/> of its first/last
/// <see cref="TrackerOptions.ConfirmWindow"/> frames (or scoring <see cref="TrackerOptions.ConfirmAtOnceScore"/>) it is
/// <b>confirmed</b> and takes an id: the id of a <b>lost</b> track it matches (near where that one was last seen and,
/// with appearance, looking alike), otherwise the next new id (1, 2, 3, …, never reused). A confirmed track unmatched
/// for more than <see cref="TrackerOptions.MaxAge"/> frames is lost, and <b>ended</b> once
/// <see cref="TrackerOptions.ReidWindowSeconds"/> pass without it being re-found.</para>
/// <para>Per frame: score every (track, person) pair, persons under the start score only against confirmed tracks
/// and after all others (two-stage association); appearance, when the frame is given, only reorders pairs that already
/// match. Then repeatedly take the best remaining pair and remove both (ties: earlier track, then lower person index,
/// so the same input always gives the same ids).</para>
/// </summary>
public abstract class GreedyTracker : ITracker
{
    // All state lives here. Live tracks (confirmed and tentative) are kept in creation order (new ones are appended).
    private readonly List<TrackState> _tracks = [];
    private readonly List<TrackState> _lost = [];   // confirmed tracks past MaxAge, waiting ReidWindowSeconds to be re-found
    private int _nextId = 1;
    private readonly KeypointSmoother? _smoother;
    private TrackerCounts _counts;

    // Per-frame scratch, reused so a steady scene allocates nothing here after warm-up.
    private readonly List<Candidate> _candidates = [];
    private TrackState?[] _personTrack = [];  // per person: the track it joined (null = none)
    private bool[] _trackMatched = [];        // per live track (by index): matched in this frame
    private bool[] _described = [];           // per person: has a descriptor in _descriptors this frame
    private float[] _descriptors = [];        // per person: Appearance.Length values

    /// <summary>Builds the tracker; <paramref name="options"/> null means defaults.</summary>
    /// <exception cref="PoseTrackException">When an option is out of range.</exception>
    protected GreedyTracker(TrackerOptions? options) : this(options, validated: false) { }

    /// <summary>
    /// Builds the tracker; <paramref name="validated"/> = true when the caller has already checked the options (the
    /// pipeline checks its <see cref="Pipeline.PipelineOptions"/>, tracker options included, once when it is built).
    /// </summary>
    private protected GreedyTracker(TrackerOptions? options, bool validated)
    {
        Options = options ?? new TrackerOptions();
        if (!validated) Options.Validate();
        _smoother = Options.Smooth ? new KeypointSmoother(Options) : null;
        Appearance = Options.UseAppearance ? new ColorHistogramDescriptor() : null;
    }

    /// <inheritdoc />
    public TrackerOptions Options { get; }

    /// <summary>
    /// The appearance descriptor used when <see cref="Update(IReadOnlyList{Person}, double, Mat)"/> is given the frame
    /// (default <see cref="ColorHistogramDescriptor"/>; null when <see cref="TrackerOptions.UseAppearance"/> is off).
    /// </summary>
    public IAppearanceDescriptor? Appearance { get; init; }

    /// <inheritdoc />
    /// <remarks>Includes tentative tracks (their <see cref="TrackState.Id"/> is 0).</remarks>
    public IReadOnlyList<TrackState> LiveTracks => _tracks;

    /// <inheritdoc />
    public TrackerCounts Counts => _counts;

    /// <summary>The smoother applied to the output (null when smoothing is off); exposed for tests.</summary>
    internal KeypointSmoother? Smoother => _smoother;

    /// <summary>
    /// Similarity of <paramref name="person"/> to <paramref name="track"/>'s expected box and pose
    /// (<see cref="TrackState.PredictedBox"/>, <see cref="TrackState.PredictedKeypoints"/>; higher = more alike,
    /// comparable across pairs because the greedy step orders all pairs by it). Returns false when the pair must not
    /// be matched (below its threshold, or not comparable).
    /// </summary>
    protected abstract bool TryScore(Person person, TrackState track, out float similarity);

    /// <inheritdoc />
    public IReadOnlyList<Person> Update(IReadOnlyList<Person> detections, double timeSeconds) => Update(detections, timeSeconds, null);

    /// <inheritdoc />
    public IReadOnlyList<Person> Update(IReadOnlyList<Person> detections, double timeSeconds, Mat? frame)
    {
        ArgumentNullException.ThrowIfNull(detections);
        if (!double.IsFinite(timeSeconds))
            throw new ArgumentOutOfRangeException(nameof(timeSeconds), timeSeconds, "Frame time must be a finite number of seconds.");
        var o = Options;
        int personCount = detections.Count, trackCount = _tracks.Count;
        for (int p = 0; p < personCount; p++)
            if (detections[p] is null) throw new ArgumentException($"Person {p} of the frame is null.", nameof(detections));
        PrepareScratch(personCount, trackCount);

        // 0. What each person looks like, when there is a frame to look at.
        if (Appearance is { } appearance && frame is { } image && !image.Empty())
            for (int p = 0; p < personCount; p++)
                _described[p] = appearance.TryDescribe(image, detections[p], o.KeypointScoreThreshold, DescriptorOf(p));

        // 1. Every pair that may be matched, with its similarity to where the track is expected now. Persons scoring
        //    under the start score may only continue confirmed tracks, in a second round (Stage 1) after all others.
        _candidates.Clear();
        for (int t = 0; t < trackCount; t++)
        {
            var track = _tracks[t];
            track.Predict(timeSeconds, o.PredictMotion);
            for (int p = 0; p < personCount; p++)
            {
                bool low = detections[p].BoxScore < o.TrackStartScore;
                if ((low && !track.Confirmed) || !TryScore(detections[p], track, out float similarity)) continue;
                if (_described[p] && track.Appearance is { } look)
                    similarity += o.AppearanceWeight * (Appearance!.Similarity(DescriptorOf(p), look) - 1f);
                _candidates.Add(new Candidate(low ? 1 : 0, similarity, t, p));
            }
        }

        // 2. Global greedy: sorting once and skipping used tracks/persons is the same as repeatedly taking the best
        //    remaining pair. The sort key is total, so the order (and thus the ids) does not depend on the sort.
        var candidates = CollectionsMarshal.AsSpan(_candidates);
        candidates.Sort();
        foreach (ref readonly var c in candidates)
        {
            if (_trackMatched[c.TrackIndex] || _personTrack[c.Person] is not null) continue;
            var track = _tracks[c.TrackIndex];
            _trackMatched[c.TrackIndex] = true;
            _personTrack[c.Person] = track;
            track.Observe(detections[c.Person], timeSeconds);
            Remember(track, c.Person);
        }

        // 3. Every live track ages by a frame. A tentative one is confirmed once matched in ConfirmHits of its last
        //    ConfirmWindow frames, and dropped if it is that old without; a confirmed one unmatched past MaxAge is lost.
        ForgetLostTracks(timeSeconds);
        int kept = 0;
        for (int t = 0; t < trackCount; t++)
        {
            var track = _tracks[t];
            bool matched = _trackMatched[t];
            track.Age++;
            track.HitHistory = (track.HitHistory << 1) | (matched ? 1u : 0u);
            if (!matched) track.FramesSinceSeen++;
            if (!track.Confirmed)
            {
                if (HitsInWindow(track) >= o.ConfirmHits) Confirm(track);
                else if (track.Age >= o.ConfirmWindow) { _counts = _counts with { TracksDropped = _counts.TracksDropped + 1 }; continue; }
                else if (matched) track.TentativeHits++;
            }
            else if (track.FramesSinceSeen > o.MaxAge)
            {
                _smoother?.Remove(track.Id);
                if (o.ReidWindowSeconds > 0) _lost.Add(track);
                continue;
            }
            _tracks[kept++] = track;
        }
        _tracks.RemoveRange(kept, trackCount - kept);

        // 4. Persons left over start tentative tracks, in input order, when they score high enough and look like a
        //    person (low-score leftovers are dropped, as in ByteTrack; implausible ones are counted).
        for (int p = 0; p < personCount; p++)
        {
            var person = detections[p];
            if (_personTrack[p] is not null || person.BoxScore < o.TrackStartScore) continue;
            if (!PosePlausibility.IsPlausible(person, o))
            {
                _counts = _counts with { PersonsRejected = _counts.PersonsRejected + 1 };
                continue;
            }
            var track = new TrackState(0) { Age = 1, HitHistory = 1 };
            track.Observe(person, timeSeconds);
            Remember(track, p);
            _tracks.Add(track);
            _personTrack[p] = track;
            if (o.ConfirmHits <= 1 || person.BoxScore >= o.ConfirmAtOnceScore) Confirm(track);
            else track.TentativeHits = 1;
        }

        // 5. The same persons in the same order, with the ids of confirmed tracks (0 for the rest), and smoothed
        //    keypoints when enabled (the caller's input and LiveTracks keep the raw ones).
        if (personCount == 0) return [];
        var output = new Person[personCount];
        for (int p = 0; p < personCount; p++)
        {
            var person = detections[p];
            int id = _personTrack[p]?.Id ?? 0;
            output[p] = _smoother is null || id == 0
                ? person with { TrackId = id }
                : person with { TrackId = id, Keypoints = _smoother.Smooth(id, person.Keypoints ?? [], timeSeconds) };
        }
        return output;
    }

    /// <summary>
    /// Gives a track that has just become confirmed its id: that of the lost track it best continues (within the
    /// re-find gates), otherwise a new one.
    /// </summary>
    private void Confirm(TrackState track)
    {
        TrackState? best = null;
        float bestScore = float.NegativeInfinity;
        foreach (var lost in _lost)
            if (TryRefind(track, lost, out float score) && score > bestScore) (best, bestScore) = (lost, score);
        if (best is not null)
        {
            track.Id = best.Id;
            _lost.Remove(best);
            _counts = _counts with { TracksRefound = _counts.TracksRefound + 1 };
        }
        else
        {
            track.Id = _nextId++;
            _counts = _counts with { TracksConfirmed = _counts.TracksConfirmed + 1 };
        }
        _counts = _counts with { TentativeFrames = _counts.TentativeFrames + track.TentativeHits };
        track.TentativeHits = 0;
    }

    /// <summary>
    /// Whether <paramref name="track"/> may be the person of <paramref name="lost"/> come back: near where they were
    /// last seen, of about their size and, when both have been described, looking alike. Higher scores are likelier.
    /// </summary>
    private bool TryRefind(TrackState track, TrackState lost, out float score)
    {
        var o = Options;
        score = 0;
        float height = lost.Box.Height, gate = o.ReidMaxDistance * height;
        float dx = track.Box.CenterX - lost.Box.CenterX, dy = track.Box.CenterY - lost.Box.CenterY;
        float distance = MathF.Sqrt(dx * dx + dy * dy);
        float sizeRatio = Math.Max(height, track.Box.Height) / Math.Min(height, track.Box.Height);
        if (!(height > 0 && distance <= gate && sizeRatio <= o.ReidMaxSizeRatio)) return false; // also false for NaN
        if (Appearance is not null && track.Appearance is { } a && lost.Appearance is { } b)
        {
            score = Appearance.Similarity(a, b);
            return score >= o.ReidMinAppearance;
        }
        score = gate > 0 ? 1f - distance / gate : 1f;
        return true;
    }

    /// <summary>Lost tracks not re-found within <see cref="TrackerOptions.ReidWindowSeconds"/> end (their id retires).</summary>
    private void ForgetLostTracks(double timeSeconds)
    {
        int kept = 0;
        for (int i = 0; i < _lost.Count; i++)
            if (timeSeconds - _lost[i].LastSeenSeconds <= Options.ReidWindowSeconds) _lost[kept++] = _lost[i];
        _lost.RemoveRange(kept, _lost.Count - kept);
    }

    /// <summary>Blends the person's descriptor of this frame into the track's running one.</summary>
    private void Remember(TrackState track, int person)
    {
        if (!_described[person]) return;
        var now = DescriptorOf(person);
        if (track.Appearance is not { } look || look.Length != now.Length) { track.Appearance = now.ToArray(); return; }
        float w = Options.AppearanceUpdate;
        for (int i = 0; i < look.Length; i++) look[i] += w * (now[i] - look[i]);
    }

    private int HitsInWindow(TrackState track)
    {
        uint window = Options.ConfirmWindow >= 32 ? uint.MaxValue : (1u << Options.ConfirmWindow) - 1;
        return System.Numerics.BitOperations.PopCount(track.HitHistory & window);
    }

    private Span<float> DescriptorOf(int person) => _descriptors.AsSpan(person * Appearance!.Length, Appearance.Length);

    /// <inheritdoc />
    public void Reset()
    {
        _tracks.Clear();
        _lost.Clear();
        _nextId = 1;
        _counts = default;
        _smoother?.Clear();
    }

    private void PrepareScratch(int personCount, int trackCount)
    {
        if (_personTrack.Length < personCount)
        {
            int n = Math.Max(personCount, 2 * _personTrack.Length);
            _personTrack = new TrackState?[n];
            _described = new bool[n];
        }
        if (_trackMatched.Length < trackCount) _trackMatched = new bool[Math.Max(trackCount, 2 * _trackMatched.Length)];
        if (Appearance is { } a && _descriptors.Length < personCount * a.Length) _descriptors = new float[_personTrack.Length * a.Length];
        Array.Clear(_personTrack, 0, personCount);
        Array.Clear(_described, 0, personCount);
        Array.Clear(_trackMatched, 0, trackCount);
    }

    /// <summary>
    /// One matchable (track, person) pair; sorts by stage (high-score persons first), then best first, ties by earlier
    /// track then lower person index.
    /// </summary>
    private readonly record struct Candidate(int Stage, float Similarity, int TrackIndex, int Person) : IComparable<Candidate>
    {
        public int CompareTo(Candidate other)
        {
            int c = Stage.CompareTo(other.Stage);
            if (c != 0) return c;
            c = other.Similarity.CompareTo(Similarity);
            if (c != 0) return c;
            c = TrackIndex.CompareTo(other.TrackIndex);
            return c != 0 ? c : Person.CompareTo(other.Person);
        }
    }
}
