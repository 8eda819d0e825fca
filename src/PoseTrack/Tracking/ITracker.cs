using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Tracking;

/// <summary>Gives persons found frame by frame ids that stay with the same person across frames.</summary>
public interface ITracker
{
    /// <summary>The options this tracker runs with.</summary>
    TrackerOptions Options { get; }

    /// <summary>
    /// Matches one frame's persons to the live tracks and returns the same persons, in the same order, with
    /// <see cref="Person.TrackId"/> set (ids start at 1 and are never reused); a person who belongs to no confirmed
    /// track (a tentative track, an implausible pose, a low score) gets 0 and is left out of the pipeline's outputs.
    /// Call once per frame, in order.
    /// </summary>
    /// <param name="detections">This frame's persons (may be empty); their TrackId is ignored.</param>
    /// <param name="timeSeconds">The frame's timestamp in seconds from the video (drives smoothing).</param>
    IReadOnlyList<Person> Update(IReadOnlyList<Person> detections, double timeSeconds);

    /// <summary>
    /// <see cref="Update(IReadOnlyList{Person}, double)"/> with the frame the persons were found in (BGR, read only,
    /// not kept after the call), for trackers that use appearance; the default ignores it.
    /// </summary>
    IReadOnlyList<Person> Update(IReadOnlyList<Person> detections, double timeSeconds, Mat? frame) => Update(detections, timeSeconds);

    /// <summary>What the tracker has decided so far (persons rejected, tracks confirmed or re-found); zeros by default.</summary>
    TrackerCounts Counts => default;

    /// <summary>
    /// The tracks still alive after the last <see cref="Update(IReadOnlyList{Person}, double)"/>: matched in that frame or unmatched for at most
    /// <see cref="TrackerOptions.MaxAge"/> frames, in creation order (a tentative track, not yet confirmed, has id 0). Holds raw (unsmoothed) poses, so a
    /// pipeline that detects only every k-th frame can build the next crops from them. The list and its items are
    /// owned by the tracker and change at the next <see cref="Update(IReadOnlyList{Person}, double)"/>.
    /// </summary>
    IReadOnlyList<TrackState> LiveTracks { get; }

    /// <summary>Forgets every track, as a freshly built tracker (ids start again at 1); use between videos.</summary>
    void Reset();
}

/// <summary>Running totals of a tracker's lifecycle decisions since it was built or reset.</summary>
/// <param name="PersonsRejected">Persons that could have started a track but failed <see cref="PosePlausibility"/>.</param>
/// <param name="TracksConfirmed">Tracks confirmed with a new id.</param>
/// <param name="TracksDropped">Tentative tracks dropped without ever being confirmed (never in the outputs).</param>
/// <param name="TracksRefound">Newly confirmed tracks that took back the id of a lost track.</param>
/// <param name="TentativeFrames">Person-frames of tracks later confirmed, from before their confirmation: left out
/// of the outputs (back-filling them would need the outputs held back by up to <see cref="TrackerOptions.ConfirmWindow"/> frames).</param>
public readonly record struct TrackerCounts(long PersonsRejected, long TracksConfirmed, long TracksDropped, long TracksRefound, long TentativeFrames);
