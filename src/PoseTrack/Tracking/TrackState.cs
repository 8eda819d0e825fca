using PoseTrack.Core;

namespace PoseTrack.Tracking;

/// <summary>What a tracker remembers about one person: id, last box and pose, and how long ago it was seen.</summary>
public sealed class TrackState
{
    /// <summary>
    /// Weight of the newest measurement in the velocity estimate. Box centres jitter by a few pixels, which at
    /// 30 fps is ~100 px/s of apparent speed; averaging over about three observations keeps that out of predictions.
    /// </summary>
    private const double VelocityWeight = 0.3;

    // Reused from frame to frame so a long-lived track costs no allocation per frame.
    private Keypoint[] _keypoints = [];
    private Keypoint[] _predicted = [];
    private bool _hasPrediction;

    internal TrackState(int id) => Id = id;

    /// <summary>
    /// The track id (1, 2, 3, … in order of confirmation); 0 while the track is tentative. A re-found track carries
    /// the id of the lost track it continues.
    /// </summary>
    public int Id { get; internal set; }

    /// <summary>Whether the track has been confirmed (<see cref="TrackerOptions.ConfirmHits"/>): only then has it an id.</summary>
    public bool Confirmed => Id > 0;

    /// <summary>Frames since the track was created (1 in the frame that created it).</summary>
    public int Age { get; internal set; }

    /// <summary>Bit i set = matched i frames ago (bit 0: the last frame), for k-of-m confirmation.</summary>
    internal uint HitHistory { get; set; }

    /// <summary>Frames in which a tentative track was matched before its confirmation (output-less frames).</summary>
    internal int TentativeHits { get; set; }

    /// <summary>Running appearance descriptor (null until the track has been described once).</summary>
    internal float[]? Appearance { get; set; }

    /// <summary>Box of the last matched person.</summary>
    public BoxF Box { get; private set; }

    /// <summary>Detector score of the last matched person's box.</summary>
    public float BoxScore { get; private set; }

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

    /// <summary>Smoothed horizontal speed of the box centre in px/s (0 until seen twice).</summary>
    public double VelocityX { get; private set; }

    /// <summary>Smoothed vertical speed of the box centre in px/s (0 until seen twice).</summary>
    public double VelocityY { get; private set; }

    /// <summary>
    /// Where the track is expected in the frame being matched: <see cref="Box"/> moved by the velocity times the time
    /// since it was seen when <see cref="TrackerOptions.PredictMotion"/> is on, otherwise <see cref="Box"/> itself.
    /// </summary>
    public BoxF PredictedBox { get; private set; }

    /// <summary>The expected pose, moved like <see cref="PredictedBox"/> (or <see cref="Keypoints"/> itself).</summary>
    public ReadOnlySpan<Keypoint> PredictedKeypoints => _hasPrediction ? _predicted : _keypoints;

    /// <summary>Takes over a matched person's box and pose, and updates the velocity.</summary>
    internal void Observe(Person person, double timeSeconds)
    {
        double dt = timeSeconds - LastSeenSeconds;
        if (Hits > 0 && dt > 0)
        {
            double vx = (person.Box.CenterX - Box.CenterX) / dt, vy = (person.Box.CenterY - Box.CenterY) / dt;
            bool first = Hits == 1;
            VelocityX = first ? vx : VelocityX + VelocityWeight * (vx - VelocityX);
            VelocityY = first ? vy : VelocityY + VelocityWeight * (vy - VelocityY);
            // A non-finite box must not poison every later prediction.
            if (!double.IsFinite(VelocityX) || !double.IsFinite(VelocityY)) VelocityX = VelocityY = 0;
        }
        Box = person.Box;
        BoxScore = person.BoxScore;
        PredictedBox = person.Box;
        Skeleton = person.Skeleton;
        var source = person.Keypoints ?? [];
        if (_keypoints.Length != source.Length) _keypoints = new Keypoint[source.Length];
        source.CopyTo(_keypoints, 0);
        _hasPrediction = false;
        FramesSinceSeen = 0;
        LastSeenSeconds = timeSeconds;
        Hits++;
    }

    /// <summary>Sets the expected box and pose for a frame at <paramref name="timeSeconds"/>.</summary>
    internal void Predict(double timeSeconds, bool moveWithVelocity)
    {
        double dt = Math.Max(0, timeSeconds - LastSeenSeconds);
        float dx = (float)(VelocityX * dt), dy = (float)(VelocityY * dt);
        _hasPrediction = moveWithVelocity && (dx != 0 || dy != 0);
        if (!_hasPrediction) { PredictedBox = Box; return; }
        PredictedBox = Box with { X = Box.X + dx, Y = Box.Y + dy };
        if (_predicted.Length != _keypoints.Length) _predicted = new Keypoint[_keypoints.Length];
        for (int j = 0; j < _keypoints.Length; j++)
        {
            var k = _keypoints[j];
            _predicted[j] = k with { X = k.X + dx, Y = k.Y + dy };
        }
    }
}
