using System.Threading.Channels;
using PoseTrack.Core;
using PoseTrack.Tracking;

namespace PoseTrack.Pipeline;

/// <summary>
/// Assigns track ids with an <see cref="ITracker"/> (which also smooths keypoints per track when its options say so)
/// and, when the detector does not run on every frame, sends the boxes of the tracks seen in this frame back to the
/// pose stage as the next frame's boxes.
/// </summary>
internal sealed class TrackStage(ITracker tracker, ChannelWriter<TrackBoxes>? feedback) : PipelineStage("track")
{
    private int _maxId;

    /// <summary>Number of distinct track ids seen (ids start at 1 and are never reused).</summary>
    public int TracksSeen => _maxId;

    protected override ValueTask ProcessAsync(FramePacket packet, CancellationToken ct)
    {
        var tracked = tracker.Update(packet.Persons, packet.TimeMs / 1000.0);
        foreach (var p in tracked) if (p.TrackId > _maxId) _maxId = p.TrackId;
        packet.Persons = tracked;

        if (feedback is not null)
        {
            var boxes = new List<PersonDetection>(tracker.LiveTracks.Count);
            foreach (var track in tracker.LiveTracks)
            {
                // Only tracks seen in this frame: a lost person's old box would crop background.
                if (track.FramesSinceSeen != 0) continue;
                // Raw (unsmoothed) keypoints: the box must follow where the person is now, not a lagging estimate.
                var box = PoseBox.FromKeypoints(track.Keypoints, tracker.Options.KeypointScoreThreshold);
                if (box is { } b)
                {
                    var clipped = b.ClipTo(packet.Image.Cols, packet.Image.Rows);
                    // The detector's score of the box the track was last seen in: so a person's score (box × joints) does
                    // not jump between frames with and without detection.
                    if (clipped.Width >= 1 && clipped.Height >= 1) boxes.Add(new PersonDetection(clipped, track.BoxScore));
                }
            }
            feedback.TryWrite(new TrackBoxes(packet.Index, boxes));
        }
        return ValueTask.CompletedTask;
    }

    protected override void OnCompleted() => feedback?.TryComplete();
}
