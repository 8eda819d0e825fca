// PoseTrack as a library: poses on one image in a few lines.
// Run: dotnet run --project samples/LibraryUsage -- path/to/image.jpg
using OpenCvSharp;
using PoseTrack;

using var estimator = PoseEstimator.Create();            // shipped default models, CPU
using var image = Cv2.ImRead(args.Length > 0 ? args[0] : "people.jpg");
foreach (var person in estimator.Estimate(image))
{
    var nose = person.Keypoints[0];
    Console.WriteLine($"person at {person.Box} score {person.Score:F2}, nose ({nose.X:F0}, {nose.Y:F0})");
}
