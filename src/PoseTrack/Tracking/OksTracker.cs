using PoseTrack.Core;

namespace PoseTrack.Tracking;

/// <summary>
/// The flow-free pose tracker of Simple Baselines (Xiao et al. 2018): a new pose is matched to the track whose last
/// pose it resembles most by OKS, with global greedy matching.
/// <para>OKS uses the skeleton's (COCO) sigmas and, as scale s², the area of the <b>track's last box</b> (COCO uses
/// the reference object's area; the track is the reference here). The track's pose is its last one, moved by its
/// velocity when <see cref="TrackerOptions.PredictMotion"/> is on. Only keypoints whose scores reach
/// <see cref="TrackerOptions.KeypointScoreThreshold"/> on both poses count. When fewer than
/// <see cref="TrackerOptions.MinSharedKeypoints"/> qualify (or the skeletons differ), the pair is compared by box IoU
/// against <see cref="TrackerOptions.IouMatchThreshold"/> instead; both similarities lie in [0, 1] with 1 meaning
/// identical, so the greedy step can order them together.</para>
/// </summary>
public sealed class OksTracker : GreedyTracker
{
    /// <summary>Builds the tracker; <paramref name="options"/> null means defaults.</summary>
    /// <exception cref="PoseTrackException">When an option is out of range.</exception>
    public OksTracker(TrackerOptions? options = null) : base(options) { }

    /// <summary>Options the caller has already validated (the pipeline's own trackers).</summary>
    internal OksTracker(TrackerOptions options, bool validated) : base(options, validated) { }

    /// <inheritdoc />
    protected override bool TryScore(Person person, TrackState track, out float similarity)
    {
        var o = Options;
        ReadOnlySpan<Keypoint> pose = person.Keypoints, last = track.PredictedKeypoints;
        if (ReferenceEquals(person.Skeleton, track.Skeleton) && pose.Length == last.Length && pose.Length == person.Skeleton.Count
            && Oks.SharedJoints(pose, last, o.KeypointScoreThreshold) >= o.MinSharedKeypoints)
        {
            similarity = Oks.Compute(pose, last, ScaleArea(track), person.Skeleton.Sigmas,
                o.KeypointScoreThreshold, o.KeypointScoreThreshold);
            float boxIou = BoxF.IoU(person.Box, track.PredictedBox);
            similarity = o.OksWeight * similarity + (1f - o.OksWeight) * boxIou;
            if (similarity >= o.MatchThreshold) return true; // false for NaN (non-finite coordinates)
            if (!o.IouSecondStage) return false;
            // Second stage: a pose that moved too far for OKS may still overlap its track's box. Shifted below 0 so
            // every OKS match is taken first (a cascade, as ByteTrack matches in rounds).
            similarity = boxIou - 1f;
            return boxIou >= o.IouMatchThreshold;
        }
        similarity = BoxF.IoU(person.Box, track.PredictedBox);
        return similarity >= o.IouMatchThreshold;
    }

    /// <summary>
    /// The track's box area; for a degenerate box, the area of its confident keypoints' extent, so OKS still has a
    /// scale; never under 1 px² (OKS would otherwise reject any displacement).
    /// </summary>
    private float ScaleArea(TrackState track)
    {
        float area = track.Box.Area;
        if (area >= 1f) return area;
        var fromPose = PoseBox.FromKeypoints(track.Keypoints, Options.KeypointScoreThreshold, 1f);
        return fromPose is { } b && b.Area >= 1f ? b.Area : 1f;
    }
}
