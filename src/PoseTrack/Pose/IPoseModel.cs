using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Pose;

/// <summary>
/// A top-down pose model: the pose of each person in given boxes of an image. The pipeline's pose stage; bring your
/// own by implementing it (the shipped one is <see cref="PoseEstimator.PoseModel"/>).
/// </summary>
public interface IPoseModel : IDisposable
{
    /// <summary>Name for logs and output headers.</summary>
    string Name { get; }

    /// <summary>The keypoint layout of every pose this model returns.</summary>
    Skeleton Skeleton { get; }

    /// <summary>
    /// One pose per person in <paramref name="boxes"/> (image pixels, BGR image), keypoints in image pixels. Two
    /// boxes of one person may give one pose (pose NMS), so the result can be shorter than the boxes. Called from one
    /// thread at a time.
    /// </summary>
    IReadOnlyList<Person> Estimate(Mat bgrImage, IReadOnlyList<PersonDetection> boxes);
}
