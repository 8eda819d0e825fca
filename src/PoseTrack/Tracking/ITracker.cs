using PoseTrack.Core;

namespace PoseTrack.Tracking;

/// <summary>Gives persons found frame by frame ids that stay with the same person across frames.</summary>
public interface ITracker
{
    /// <summary>The options this tracker runs with.</summary>
    TrackerOptions Options { get; }

    /// <summary>
    /// Matches one frame's persons to the live tracks and returns the same persons, in the same order, with
    /// <see cref="Person.TrackId"/> set (ids start at 1 and are never reused). Call once per frame, in order.
    /// </summary>
    /// <param name="detections">This frame's persons (may be empty); their TrackId is ignored.</param>
    /// <param name="timeSeconds">The frame's timestamp in seconds from the video (drives smoothing).</param>
    IReadOnlyList<Person> Update(IReadOnlyList<Person> detections, double timeSeconds);

    /// <summary>
    /// The tracks still alive after the last <see cref="Update"/>: matched in that frame or unmatched for at most
    /// <see cref="TrackerOptions.MaxAge"/> frames, in increasing id order. Holds raw (unsmoothed) poses, so a
    /// pipeline that detects only every k-th frame can build the next crops from them. The list and its items are
    /// owned by the tracker and change at the next <see cref="Update"/>.
    /// </summary>
    IReadOnlyList<TrackState> LiveTracks { get; }

    /// <summary>Forgets every track, as a freshly built tracker (ids start again at 1); use between videos.</summary>
    void Reset();
}
