using System.Diagnostics;
using PoseTrack.Rendering;

namespace PoseTrack.Pipeline;

/// <summary>
/// Draws skeletons, boxes and track ids onto the frame in place (only when some sink wants the picture), plus an
/// optional fps / people overlay.
/// </summary>
internal sealed class RenderStage(bool enabled, SkeletonRenderer renderer, bool overlay) : PipelineStage("render")
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private long _frames;

    protected override ValueTask ProcessAsync(FramePacket packet, CancellationToken ct)
    {
        _frames++;
        if (!enabled) return ValueTask.CompletedTask;
        renderer.Draw(packet.Image, packet.Persons);
        if (overlay)
        {
            double secs = Stopwatch.GetElapsedTime(_start).TotalSeconds;
            renderer.DrawOverlay(packet.Image, $"{(secs > 0 ? _frames / secs : 0):F1} fps  {packet.Persons.Count} people");
        }
        return ValueTask.CompletedTask;
    }
}
