using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Detection;

/// <summary>Finds people in an image: boxes in image pixels with scores, highest score first.</summary>
public interface IPersonDetector : IDisposable
{
    /// <summary>Model name.</summary>
    string Name { get; }
    /// <summary>Detects the people in a BGR image.</summary>
    IReadOnlyList<PersonDetection> Detect(Mat bgrImage);
}
