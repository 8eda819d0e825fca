// Camera → window with skeletons and track ids. q or Esc quits.
// Run: dotnet run --project samples/WebcamDemo -- [camera-index]
using PoseTrack;
using PoseTrack.Core;
using PoseTrack.Pipeline;
using PoseTrack.Sinks;
using PoseTrack.Sources;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
try
{
    using var estimator = PoseEstimator.Create();
    using var camera = FrameSources.Open(args.Length > 0 ? args[0] : "0", new FrameSourceOptions());
    using var window = new PreviewWindowSink("PoseTrack webcam", stop.Cancel);
    var summary = await new PosePipeline(estimator).RunAsync(camera, [window], stop: stop.Token);
    Console.WriteLine($"{summary.Frames} frames at {summary.MeanFps:F1} fps, {summary.DroppedFrames} dropped");
    return 0;
}
catch (Exception e)                                         // no camera, no display: a clear line, not a stack trace
{
    Console.Error.WriteLine($"error: {e.Message}");
    return e is PoseTrackException ? 2 : 1;
}
