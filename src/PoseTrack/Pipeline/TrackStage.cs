using PoseTrack.Core;
using PoseTrack.Tracking;

namespace PoseTrack.Pipeline;

/// <summary>
/// Assigns track ids with an <see cref="ITracker"/> (which also smooths keypoints per track when its options say so),
/// giving it the frame for appearance; persons of no confirmed track (tentative, implausible) leave the outputs here.
/// </summary>
internal sealed class TrackStage(ITracker tracker) : PipelineStage("track")
{
    private int _maxId;

    /// <summary>Number of distinct track ids seen (ids start at 1 and are never reused).</summary>
    public int TracksSeen => _maxId;

    protected override ValueTask ProcessAsync(FramePacket packet, CancellationToken ct)
    {
        var tracked = tracker.Update(packet.Persons, packet.TimeMs / 1000.0, packet.Image);
        int untracked = 0;
        foreach (var p in tracked)
        {
            if (p.TrackId > _maxId) _maxId = p.TrackId;
            if (p.TrackId == 0) untracked++;
        }
        packet.Persons = untracked == 0 ? tracked : tracked.Where(p => p.TrackId > 0).ToArray();
        return ValueTask.CompletedTask;
    }
}
