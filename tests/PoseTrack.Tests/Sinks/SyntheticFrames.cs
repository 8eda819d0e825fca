using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Tests.Sinks;

/// <summary>Deterministic fake results and real frames for the sink tests.</summary>
internal static class SyntheticFrames
{
    public const int Width = 768, Height = 576;

    /// <summary>
    /// A standing COCO person with its box top-left at (x, y); coordinates carry many decimals so rounding shows.
    /// Joint <paramref name="lowJoint"/> (if ≥ 0) gets score 0.1.
    /// </summary>
    public static Person Person(float x, float y, int trackId, int lowJoint = -1, float jitter = 0f)
    {
        (float X, float Y)[] rel =
        [
            (64, 30), (70, 25), (58, 25), (76, 30), (52, 30), (94, 70), (34, 70), (110, 120), (18, 120),
            (120, 160), (8, 160), (84, 180), (44, 180), (86, 240), (42, 240), (88, 310), (40, 310),
        ];
        var kps = new Keypoint[rel.Length];
        for (int j = 0; j < rel.Length; j++)
            kps[j] = new Keypoint(x + rel[j].X + 0.123456f + jitter, y + rel[j].Y + 0.987654f - jitter,
                j == lowJoint ? 0.1f : 0.5f + 0.0271828f * (j % 17));
        return new Person(new BoxF(x, y, 128.3333f, 330.6666f), 0.912345f, kps, Skeleton.Coco17) { TrackId = trackId };
    }

    /// <summary>Frame <paramref name="i"/>: 0–3 persons, some untracked, moving a little.</summary>
    public static FrameResult Frame(int i)
    {
        var persons = new List<Person>();
        int n = i % 4;
        for (int k = 0; k < n; k++)
            persons.Add(Person(20 + 180 * k + i * 1.37f, 40 + k * 10.5f, trackId: k == 2 ? 0 : k + 1, jitter: i * 0.01f));
        return new FrameResult(i, i * 100.0 + 0.0004, Width, Height, persons);
    }

    /// <summary>The first <paramref name="count"/> frames of the shared 768x576 test video.</summary>
    public static List<Mat> VideoFrames(int count)
    {
        using var cap = new VideoCapture(TestData.Shared("data", "video", "vtest_10s.mp4"));
        Assert.True(cap.IsOpened(), "cannot open vtest_10s.mp4");
        var frames = new List<Mat>();
        while (frames.Count < count)
        {
            var m = new Mat();
            Assert.True(cap.Read(m) && !m.Empty(), $"video ended after {frames.Count} frames");
            frames.Add(m);
        }
        return frames;
    }
}
