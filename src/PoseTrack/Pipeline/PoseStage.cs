using PoseTrack.Core;
using PoseTrack.Pose;
using PoseTrack.Tracking;

namespace PoseTrack.Pipeline;

/// <summary>
/// Runs the pose model on the boxes of a frame. On frames without detection (detect every k frames) the boxes come
/// from this stage's own previous output: each person's box around its confident keypoints, with the detector score
/// it carries. Those persons are exactly the tracks the tracker saw in that frame (every person becomes or continues
/// a track), so this is what a feedback channel from the tracker would give — without making the pose stage wait
/// for the tracker.
/// </summary>
internal sealed class PoseStage(IPoseModel pose, float keypointThreshold) : PipelineStage("pose")
{
    private IReadOnlyList<Person> _previous = [];

    protected override ValueTask ProcessAsync(FramePacket packet, CancellationToken ct)
    {
        var boxes = packet.Detections ?? BoxesOf(_previous, packet.Image.Cols, packet.Image.Rows);
        // Duplicates from overlapping boxes are removed (pose NMS) before tracking, where they would fight over one track.
        packet.Persons = _previous = pose.Estimate(packet.Image, boxes);
        return ValueTask.CompletedTask;
    }

    /// <summary>The next frame's boxes from this frame's poses (raw keypoints: the box follows where the person is now).</summary>
    private List<PersonDetection> BoxesOf(IReadOnlyList<Person> persons, int width, int height)
    {
        var boxes = new List<PersonDetection>(persons.Count);
        foreach (var person in persons)
        {
            if (PoseBox.FromKeypoints(person.Keypoints, keypointThreshold) is not { } b) continue;
            var clipped = b.ClipTo(width, height);
            // The detector's score of the box the person was found in: a person's score (box × joints) does not jump
            // between frames with and without detection.
            if (clipped.Width >= 1 && clipped.Height >= 1) boxes.Add(new PersonDetection(clipped, person.BoxScore));
        }
        return boxes;
    }
}
