// PoseTrack as a library: poses on one image in a few lines.
// Run: dotnet run --project samples/LibraryUsage -- path/to/image.jpg
using OpenCvSharp;
using PoseTrack;
using PoseTrack.Core;

var path = args.Length > 0 ? args[0] : "people.jpg";
try
{
    if (!File.Exists(path)) throw new PoseTrackException($"image not found: {path}");
    using var estimator = PoseEstimator.Create();            // shipped default models, CPU
    using var image = Cv2.ImRead(path);
    if (image.Empty()) throw new PoseTrackException($"not a readable image: {path}");
    foreach (var person in estimator.Estimate(image))
    {
        var nose = person.Keypoints[0];
        Console.WriteLine($"person at {person.Box} score {person.Score:F2}, nose ({nose.X:F0}, {nose.Y:F0})");
    }
    return 0;
}
catch (Exception e)                                         // a clear line, not a stack trace
{
    Console.Error.WriteLine($"error: {e.Message}");
    return e is PoseTrackException ? 2 : 1;
}
