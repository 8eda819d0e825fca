using PoseTrack.Core;

namespace PoseTrack.Tracking;

/// <summary>
/// One Euro smoothing of keypoints, one (x, y) filter pair per keypoint per track. Filters are created when a track
/// is first smoothed and must be dropped with it (<see cref="Remove"/>); the trackers do both when
/// <see cref="TrackerOptions.Smooth"/> is on. It is a separate class so a pipeline can keep smoothing apart from
/// tracking (tracker with Smooth off, then this on the tracked persons) and so the raw keypoints stay untouched.
/// <para>Keypoints whose score is under the minimum pass through raw and reset their filters: the position of a
/// joint the model is unsure of is mostly a guess, and letting it drag the filter would make the joint glide back
/// slowly once it is seen again.</para>
/// </summary>
internal sealed class KeypointSmoother
{
    private readonly Dictionary<int, OneEuroFilter[]> _filters = [];

    /// <summary>Builds a smoother with the given One Euro settings (see <see cref="OneEuroFilter"/>).</summary>
    /// <param name="minCutoff">Cutoff in Hz for a still joint.</param>
    /// <param name="beta">Cutoff increase per px/s of joint speed.</param>
    /// <param name="dCutoff">Cutoff in Hz of the speed estimate.</param>
    /// <param name="minScore">Keypoints scoring under this pass through unsmoothed.</param>
    public KeypointSmoother(double minCutoff, double beta, double dCutoff, float minScore)
    {
        // Build one filter up front so bad settings fail here rather than on the first person.
        _ = new OneEuroFilter(minCutoff, beta, dCutoff);
        MinCutoff = minCutoff; Beta = beta; DCutoff = dCutoff; MinScore = minScore;
    }

    /// <summary>Builds a smoother from the One Euro settings and keypoint threshold of <paramref name="options"/>.</summary>
    public KeypointSmoother(TrackerOptions options)
        : this(options.MinCutoff, options.Beta, options.DCutoff, options.KeypointScoreThreshold) { }

    /// <summary>One Euro minimum cutoff (Hz).</summary>
    public double MinCutoff { get; }
    /// <summary>One Euro speed coefficient (per px/s).</summary>
    public double Beta { get; }
    /// <summary>One Euro speed cutoff (Hz).</summary>
    public double DCutoff { get; }
    /// <summary>Keypoints scoring under this pass through unsmoothed.</summary>
    public float MinScore { get; }

    /// <summary>Number of tracks holding filters.</summary>
    public int TrackCount => _filters.Count;

    /// <summary>Whether filters exist for <paramref name="trackId"/>.</summary>
    public bool Contains(int trackId) => _filters.ContainsKey(trackId);

    /// <summary>Smooths one track's keypoints at <paramref name="timeSeconds"/> and returns them in a new array.</summary>
    public Keypoint[] Smooth(int trackId, ReadOnlySpan<Keypoint> keypoints, double timeSeconds)
    {
        var result = new Keypoint[keypoints.Length];
        Smooth(trackId, keypoints, timeSeconds, result);
        return result;
    }

    /// <summary>
    /// Smooths one track's keypoints at <paramref name="timeSeconds"/> into <paramref name="destination"/> (at least
    /// as long as <paramref name="keypoints"/>; may be the same memory). Scores are copied unchanged.
    /// </summary>
    public void Smooth(int trackId, ReadOnlySpan<Keypoint> keypoints, double timeSeconds, Span<Keypoint> destination)
    {
        if (destination.Length < keypoints.Length)
            throw new ArgumentException("Destination is shorter than the keypoints.", nameof(destination));
        if (!_filters.TryGetValue(trackId, out var filters) || filters.Length != 2 * keypoints.Length)
        {
            // New track, or its skeleton changed: start from scratch.
            filters = new OneEuroFilter[2 * keypoints.Length];
            for (int i = 0; i < filters.Length; i++) filters[i] = new OneEuroFilter(MinCutoff, Beta, DCutoff);
            _filters[trackId] = filters;
        }
        for (int j = 0; j < keypoints.Length; j++)
        {
            var k = keypoints[j];
            OneEuroFilter fx = filters[2 * j], fy = filters[2 * j + 1];
            if (!(k.Score >= MinScore))
            {
                fx.Reset(); fy.Reset();
                destination[j] = k;
                continue;
            }
            destination[j] = new Keypoint((float)fx.Filter(k.X, timeSeconds), (float)fy.Filter(k.Y, timeSeconds), k.Score);
        }
    }

    /// <summary>Drops a track's filters (call when the track ends). Returns whether it had any.</summary>
    public bool Remove(int trackId) => _filters.Remove(trackId);

    /// <summary>Drops every track's filters.</summary>
    public void Clear() => _filters.Clear();
}
