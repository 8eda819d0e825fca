using System.Threading.Channels;
using PoseTrack.Core;
using PoseTrack.Pose;

namespace PoseTrack.Pipeline;

/// <summary>Boxes derived from the live tracks after a frame: the pose stage's input on frames without detection.</summary>
internal sealed record TrackBoxes(long FrameIndex, IReadOnlyList<PersonDetection> Boxes);

/// <summary>
/// Runs the top-down pose model on all boxes of a frame in one batch. On frames without detection the boxes come
/// from the track stage (<see cref="TrackBoxes"/> of the previous frame) through a feedback channel: message passing
/// instead of shared tracker state.
/// </summary>
internal sealed class PoseStage(TopDownPoseEstimator pose, ChannelReader<TrackBoxes>? feedback) : PipelineStage("pose")
{
    private long _previous = -1;
    private IReadOnlyList<PersonDetection> _boxes = [];

    protected override async ValueTask PrepareAsync(FramePacket packet, CancellationToken ct)
    {
        if (packet.Detections is not null)
        {
            _boxes = packet.Detections;
            // Drop feedback that is no longer needed, so the channel stays as short as the pipeline.
            while (feedback is not null && feedback.TryRead(out _)) { }
            return;
        }
        // Frames without detection exist only with a feedback channel, and never first (frame 0 is always detected).
        // Wait for the tracker to finish the previous frame: its tracks give this frame's boxes.
        while (true)
        {
            var fb = await feedback!.ReadAsync(ct).ConfigureAwait(false);
            if (fb.FrameIndex >= _previous) { _boxes = fb.Boxes; return; }
        }
    }

    protected override ValueTask ProcessAsync(FramePacket packet, CancellationToken ct)
    {
        // Duplicates from overlapping boxes are removed before tracking, where they would fight over one track.
        packet.Persons = pose.EstimateDistinct(packet.Image, _boxes);
        _previous = packet.Index;
        return ValueTask.CompletedTask;
    }
}
