using PoseTrack.Core;

namespace PoseTrack.Tracking;

/// <summary>
/// Baseline tracker: greedy matching on box IoU alone (<see cref="TrackerOptions.IouMatchThreshold"/>), with the same
/// lifecycle as <see cref="OksTracker"/>. Useful to measure what the pose similarity adds; people crossing each other
/// are more likely to swap ids here.
/// </summary>
public sealed class IouTracker : GreedyTracker
{
    /// <summary>Builds the tracker; <paramref name="options"/> null means defaults.</summary>
    /// <exception cref="PoseTrackException">When an option is out of range.</exception>
    public IouTracker(TrackerOptions? options = null) : base(options) { }

    /// <summary>Options the caller has already validated (the pipeline's own trackers).</summary>
    internal IouTracker(TrackerOptions options, bool validated) : base(options, validated) { }

    /// <inheritdoc />
    protected override bool TryScore(Person person, TrackState track, out float similarity)
    {
        similarity = BoxF.IoU(person.Box, track.PredictedBox);
        return similarity >= Options.IouMatchThreshold; // false for NaN
    }
}
