using System.Threading.Channels;
using PoseTrack.Core;
using PoseTrack.Tracking;

namespace PoseTrack.Pipeline;

/// <summary>
/// Assigns track ids (<see cref="ITracker"/>), optionally smooths keypoints per track (One Euro), and, when the
/// detector does not run on every frame, sends the boxes of the live tracks back to the pose stage.
/// </summary>
internal sealed class TrackStage : PipelineStage
{
    private readonly ITracker _tracker;
    private readonly KeypointSmoother? _smoother;
    private readonly ChannelWriter<TrackBoxes>? _feedback;
    private readonly float _boxKeypointScore;
    private readonly HashSet<int> _smoothed = [];
    private readonly HashSet<int> _live = [];
    private readonly List<int> _gone = [];
    private int _maxId;

    /// <summary>Number of distinct track ids seen (ids start at 1 and are never reused).</summary>
    public int TracksSeen => _maxId;

    public TrackStage(ITracker tracker, KeypointSmoother? smoother, ChannelWriter<TrackBoxes>? feedback, float boxKeypointScore)
        : base("track")
    {
        _tracker = tracker; _smoother = smoother; _feedback = feedback; _boxKeypointScore = boxKeypointScore;
    }

    protected override ValueTask ProcessAsync(FramePacket packet, CancellationToken ct)
    {
        double t = packet.TimeMs / 1000.0;
        var tracked = _tracker.Update(packet.Persons, t);
        foreach (var p in tracked) if (p.TrackId > _maxId) _maxId = p.TrackId;

        if (_smoother is not null)
        {
            var smoothed = new Person[tracked.Count];
            for (int i = 0; i < tracked.Count; i++)
            {
                var p = tracked[i];
                smoothed[i] = p with { Keypoints = _smoother.Smooth(p.TrackId, p.Keypoints, t) };
                _smoothed.Add(p.TrackId);
            }
            packet.Persons = smoothed;
            DropFiltersOfEndedTracks();
        }
        else packet.Persons = tracked;

        if (_feedback is not null)
        {
            var boxes = new List<PersonDetection>(_tracker.LiveTracks.Count);
            foreach (var track in _tracker.LiveTracks)
            {
                // Only tracks seen in this frame: a lost person's old box would crop background.
                if (track.FramesSinceSeen != 0) continue;
                var box = PoseBox.FromKeypoints(track.Keypoints, _boxKeypointScore);
                if (box is { } b && b.Width >= 1 && b.Height >= 1)
                    boxes.Add(new PersonDetection(b.ClipTo(packet.Image.Cols, packet.Image.Rows), 1f));
            }
            _feedback.TryWrite(new TrackBoxes(packet.Index, boxes));
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Filter state is dropped with its track, so memory does not grow with the number of people seen.</summary>
    private void DropFiltersOfEndedTracks()
    {
        _live.Clear();
        foreach (var track in _tracker.LiveTracks) _live.Add(track.Id);
        _gone.Clear();
        foreach (var id in _smoothed) if (!_live.Contains(id)) _gone.Add(id);
        foreach (var id in _gone) { _smoothed.Remove(id); _smoother!.Remove(id); }
    }

    protected override void OnCompleted() => _feedback?.TryComplete();
}
