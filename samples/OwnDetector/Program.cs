// Your own person detector in the PoseTrack pipeline: OpenCV's HOG people detector instead of the shipped RTMDet,
// with the shipped pose model and the OKS tracker. Usage: OwnDetector VIDEO
using OpenCvSharp;
using PoseTrack;
using PoseTrack.Core;
using PoseTrack.Detection;
using PoseTrack.Pipeline;
using PoseTrack.Sources;
using PoseTrack.Tracking;

try
{
    using var models = PoseEstimator.Create();   // shipped models; only its pose model is used here
    using var detector = new HogPeopleDetector();
    var pipeline = new PosePipeline(detector, models.PoseModel, new OksTracker(), new PipelineOptions());
    using var video = FrameSources.Open(args.Length > 0 ? args[0] : "video.mp4");
    await foreach (var frame in pipeline.RunAsync(video))
        Console.WriteLine($"frame {frame.Index}: {string.Join(", ", frame.Persons.Select(p => $"#{p.TrackId} nose ({p.Keypoints[0].X:F0}, {p.Keypoints[0].Y:F0})"))}");
    return 0;
}
catch (PoseTrackException e) { Console.Error.WriteLine($"error: {e.Message}"); return 2; }

/// <summary>The whole contract of a detector: a name, and person boxes with scores for a BGR frame.</summary>
sealed class HogPeopleDetector : IPersonDetector
{
    private readonly HOGDescriptor _hog = new();
    public HogPeopleDetector() => _hog.SetSVMDetector(HOGDescriptor.GetDefaultPeopleDetector());
    public string Name => "opencv-hog";
    public IReadOnlyList<PersonDetection> Detect(Mat bgrImage) =>
        _hog.DetectMultiScale(bgrImage, out double[] weights).Select((r, i) =>
            new PersonDetection(new BoxF(r.X, r.Y, r.Width, r.Height), (float)Math.Min(1, weights[i]))).ToList();
    public void Dispose() => _hog.Dispose();
}
