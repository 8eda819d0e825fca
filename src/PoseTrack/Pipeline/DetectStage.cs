using PoseTrack.Detection;

namespace PoseTrack.Pipeline;

/// <summary>
/// Runs the person detector on every k-th frame (k = detect-every); on the frames between, leaves
/// <see cref="FramePacket.Detections"/> null so the pose stage takes its boxes from the live tracks.
/// </summary>
internal sealed class DetectStage(IPersonDetector detector, int detectEvery) : PipelineStage("detect")
{
    private long _seen;

    protected override ValueTask ProcessAsync(FramePacket packet, CancellationToken ct)
    {
        // Counted over the frames that reach this stage, so frames a live source dropped don't skew the rhythm.
        if (_seen++ % detectEvery == 0) packet.Detections = detector.Detect(packet.Image);
        return ValueTask.CompletedTask;
    }
}
