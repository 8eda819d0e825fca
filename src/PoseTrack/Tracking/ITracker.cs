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

/// <summary>What a tracker remembers about one person: id, last box and pose, and how long ago it was seen.</summary>
public sealed class TrackState
{
    // Reused from frame to frame so a long-lived track costs no allocation per frame.
    private Keypoint[] _keypoints = [];

    internal TrackState(int id) => Id = id;

    /// <summary>The track id (1, 2, 3, … in order of appearance).</summary>
    public int Id { get; }

    /// <summary>Box of the last matched person.</summary>
    public BoxF Box { get; private set; }

    /// <summary>Raw keypoints of the last matched person (a copy, independent of the caller's arrays).</summary>
    public ReadOnlySpan<Keypoint> Keypoints => _keypoints;

    /// <summary>Skeleton of the last matched person.</summary>
    public Skeleton Skeleton { get; private set; } = Skeleton.Coco17;

    /// <summary>Frames since the track was last matched: 0 when matched in the last frame.</summary>
    public int FramesSinceSeen { get; internal set; }

    /// <summary>Timestamp in seconds of the frame where the track was last matched.</summary>
    public double LastSeenSeconds { get; private set; }

    /// <summary>Number of frames in which the track was matched (including the one that created it).</summary>
    public int Hits { get; private set; }

    /// <summary>Takes over a matched person's box and pose.</summary>
    internal void Observe(Person person, double timeSeconds)
    {
        Box = person.Box;
        Skeleton = person.Skeleton;
        var source = person.Keypoints ?? [];
        if (_keypoints.Length != source.Length) _keypoints = new Keypoint[source.Length];
        source.CopyTo(_keypoints, 0);
        FramesSinceSeen = 0;
        LastSeenSeconds = timeSeconds;
        Hits++;
    }
}
