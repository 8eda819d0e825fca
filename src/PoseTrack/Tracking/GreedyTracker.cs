using System.Runtime.InteropServices;
using PoseTrack.Core;

namespace PoseTrack.Tracking;

/// <summary>
/// The part every tracker here shares: track lifecycle and global greedy matching. Subclasses only say how
/// similar a person is to a track (<see cref="TryScore"/>).
/// <para>Per frame: score every (track, person) pair; repeatedly take the most similar remaining pair that clears
/// its threshold and remove both (ties: lower track id, then lower person index, so the same input always gives
/// the same ids); unmatched tracks age by one frame and are dropped past <see cref="TrackerOptions.MaxAge"/>;
/// unmatched persons start new tracks with the next id (1, 2, 3, …, never reused).</para>
/// </summary>
public abstract class GreedyTracker : ITracker
{
    // All state lives here. Live tracks are kept in increasing id order (new ones are appended).
    private readonly List<TrackState> _tracks = [];
    private int _nextId = 1;
    private readonly KeypointSmoother? _smoother;

    // Per-frame scratch, reused so a steady scene allocates nothing here after warm-up.
    private readonly List<Candidate> _candidates = [];
    private int[] _personTrack = [];   // per person: id of the track it joined (0 = none yet)
    private bool[] _trackMatched = [];  // per live track (by index): matched in this frame

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
    }

    /// <inheritdoc />
    public TrackerOptions Options { get; }

    /// <inheritdoc />
    public IReadOnlyList<TrackState> LiveTracks => _tracks;

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
    public IReadOnlyList<Person> Update(IReadOnlyList<Person> detections, double timeSeconds)
    {
        ArgumentNullException.ThrowIfNull(detections);
        if (!double.IsFinite(timeSeconds))
            throw new ArgumentOutOfRangeException(nameof(timeSeconds), timeSeconds, "Frame time must be a finite number of seconds.");
        int personCount = detections.Count, trackCount = _tracks.Count;
        for (int p = 0; p < personCount; p++)
            if (detections[p] is null) throw new ArgumentException($"Person {p} of the frame is null.", nameof(detections));
        PrepareScratch(personCount, trackCount);

        // 1. Every pair that may be matched, with its similarity to where the track is expected now.
        _candidates.Clear();
        for (int t = 0; t < trackCount; t++)
        {
            var track = _tracks[t];
            track.Predict(timeSeconds, Options.PredictMotion);
            for (int p = 0; p < personCount; p++)
                if (TryScore(detections[p], track, out float similarity))
                    _candidates.Add(new Candidate(similarity, t, track.Id, p));
        }

        // 2. Global greedy: sorting once and skipping used tracks/persons is the same as repeatedly taking the best
        //    remaining pair. The sort key is total, so the order (and thus the ids) does not depend on the sort.
        var candidates = CollectionsMarshal.AsSpan(_candidates);
        candidates.Sort();
        foreach (ref readonly var c in candidates)
        {
            if (_trackMatched[c.TrackIndex] || _personTrack[c.Person] != 0) continue;
            _trackMatched[c.TrackIndex] = true;
            _personTrack[c.Person] = c.TrackId;
            _tracks[c.TrackIndex].Observe(detections[c.Person], timeSeconds);
        }

        // 3. Unmatched tracks age; past MaxAge they are dropped with their smoothing state.
        int kept = 0;
        for (int t = 0; t < trackCount; t++)
        {
            var track = _tracks[t];
            if (!_trackMatched[t] && ++track.FramesSinceSeen > Options.MaxAge)
            {
                _smoother?.Remove(track.Id);
                continue;
            }
            _tracks[kept++] = track;
        }
        _tracks.RemoveRange(kept, trackCount - kept);

        // 4. Unmatched persons start new tracks, in input order.
        for (int p = 0; p < personCount; p++)
        {
            if (_personTrack[p] != 0) continue;
            var track = new TrackState(_nextId++);
            track.Observe(detections[p], timeSeconds);
            _tracks.Add(track);
            _personTrack[p] = track.Id;
        }

        // 5. The same persons in the same order, with ids (and smoothed keypoints when enabled; the caller's
        //    input and LiveTracks keep the raw ones).
        if (personCount == 0) return [];
        var output = new Person[personCount];
        for (int p = 0; p < personCount; p++)
        {
            var person = detections[p];
            int id = _personTrack[p];
            output[p] = _smoother is null
                ? person with { TrackId = id }
                : person with { TrackId = id, Keypoints = _smoother.Smooth(id, person.Keypoints ?? [], timeSeconds) };
        }
        return output;
    }

    /// <inheritdoc />
    public void Reset()
    {
        _tracks.Clear();
        _nextId = 1;
        _smoother?.Clear();
    }

    private void PrepareScratch(int personCount, int trackCount)
    {
        if (_personTrack.Length < personCount) _personTrack = new int[Math.Max(personCount, 2 * _personTrack.Length)];
        if (_trackMatched.Length < trackCount) _trackMatched = new bool[Math.Max(trackCount, 2 * _trackMatched.Length)];
        Array.Clear(_personTrack, 0, personCount);
        Array.Clear(_trackMatched, 0, trackCount);
    }

    /// <summary>One matchable (track, person) pair; sorts best first, ties by lower track id then lower person index.</summary>
    private readonly record struct Candidate(float Similarity, int TrackIndex, int TrackId, int Person) : IComparable<Candidate>
    {
        public int CompareTo(Candidate other)
        {
            int c = other.Similarity.CompareTo(Similarity);
            if (c != 0) return c;
            c = TrackId.CompareTo(other.TrackId);
            return c != 0 ? c : Person.CompareTo(other.Person);
        }
    }
}
