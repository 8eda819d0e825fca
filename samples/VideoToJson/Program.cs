// Video file → JSON lines with tracked poses, no drawing.
// Run: dotnet run --project samples/VideoToJson -- input.mp4 poses.jsonl
using PoseTrack;
using PoseTrack.Core;
using PoseTrack.Pipeline;
using PoseTrack.Sinks;
using PoseTrack.Sources;

if (args.Length < 2) { Console.Error.WriteLine("usage: VideoToJson INPUT.mp4 OUTPUT.jsonl"); return 2; }
try
{
    using var estimator = PoseEstimator.Create();
    using var source = FrameSources.Open(args[0], new FrameSourceOptions());
    var info = source.Info;
    using var json = new JsonLinesSink(args[1], JsonLinesHeader.For(info, estimator.DetectorName, estimator.PoseModelName, estimator.Skeleton));
    var summary = await new PosePipeline(estimator).RunAsync(source, [json]);
    Console.WriteLine($"{summary.Frames} frames, {summary.TracksSeen} tracks, {summary.MeanFps:F1} fps → {args[1]}");
    return 0;
}
catch (Exception e)                                         // a clear line, not a stack trace
{
    Console.Error.WriteLine($"error: {e.Message}");
    return e is PoseTrackException ? 2 : 1;
}
