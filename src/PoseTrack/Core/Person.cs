namespace PoseTrack.Core;

/// <summary>A detected person box before pose estimation.</summary>
public readonly record struct PersonDetection(BoxF Box, float Score);

/// <summary>
/// One person in one frame: the box it was found in, its score and its keypoints in image pixels.
/// <see cref="TrackId"/> is 0 until a tracker has assigned an id (ids start at 1).
/// </summary>
public sealed record Person(BoxF Box, float BoxScore, Keypoint[] Keypoints, Skeleton Skeleton)
{
    /// <summary>Tracker id; 0 = not tracked.</summary>
    public int TrackId { get; init; }

    /// <summary>
    /// The person's overall score: box score × mean of the keypoint scores above
    /// <see cref="KeypointScoreFloor"/> (0.2), the rule the reference evaluation uses. A person with
    /// no keypoint over the floor scores 0.
    /// </summary>
    public float Score
    {
        get
        {
            float sum = 0; int n = 0;
            foreach (var k in Keypoints)
                if (k.Score > KeypointScoreFloor) { sum += k.Score; n++; }
            return n == 0 ? 0f : BoxScore * (sum / n);
        }
    }

    /// <summary>Keypoints under this score are left out of <see cref="Score"/>.</summary>
    public const float KeypointScoreFloor = 0.2f;
}
