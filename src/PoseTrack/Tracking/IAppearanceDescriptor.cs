using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Tracking;

/// <summary>
/// What a person looks like, as a fixed-length vector computed from the frame and their pose. The trackers use it to
/// re-find a lost person and to break ties when people cross (<see cref="TrackerOptions.UseAppearance"/>). The shipped
/// one is <see cref="ColorHistogramDescriptor"/>; a model-based re-identification embedding can take its place.
/// </summary>
public interface IAppearanceDescriptor
{
    /// <summary>Length of every descriptor this produces.</summary>
    int Length { get; }

    /// <summary>
    /// Describes <paramref name="person"/> as seen in <paramref name="frame"/> (BGR, 8 bits per channel) into
    /// <paramref name="descriptor"/> (<see cref="Length"/> values). Returns false when too little of the person is
    /// visible to describe (the descriptor is then unspecified).
    /// </summary>
    bool TryDescribe(Mat frame, Person person, float keypointThreshold, Span<float> descriptor);

    /// <summary>How alike two descriptors are: 1 = the same look, 0 = nothing in common.</summary>
    float Similarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b);
}
