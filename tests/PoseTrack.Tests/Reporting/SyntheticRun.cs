using PoseTrack.Core;
using PoseTrack.Sinks;

namespace PoseTrack.Tests.Reporting;

/// <summary>
/// Builds run logs with planted tracks and writes them through the project's <see cref="JsonLinesSink"/>, so the
/// report reads exactly what a real run writes (2-decimal coordinates, null track ids, the header).
/// </summary>
internal sealed class SyntheticRun
{
    public const int Width = 1280, Height = 720;
    public const float BoxW = 100, BoxH = 240;

    // A standing person, joints as fractions of the box.
    private static readonly (float X, float Y)[] Pose =
    [
        (0.50f, 0.08f), (0.54f, 0.06f), (0.46f, 0.06f), (0.58f, 0.08f), (0.42f, 0.08f), (0.70f, 0.22f), (0.30f, 0.22f),
        (0.78f, 0.38f), (0.22f, 0.38f), (0.80f, 0.52f), (0.20f, 0.52f), (0.62f, 0.55f), (0.38f, 0.55f),
        (0.63f, 0.76f), (0.37f, 0.76f), (0.64f, 0.96f), (0.36f, 0.96f),
    ];

    private readonly SortedDictionary<long, List<Person>> _frames = [];
    private readonly Random _rng = new(1234);

    public double Fps { get; init; } = 25;

    /// <summary>
    /// Adds track <paramref name="id"/> on frames <paramref name="from"/>..<paramref name="to"/> (inclusive): box
    /// top-left at (x0, y0) moving by (vx, vy) px per frame; keypoints get Gaussian noise of
    /// <paramref name="noisePx"/> px; <paramref name="at"/> overrides the position per frame (for planted jumps).
    /// </summary>
    public SyntheticRun Track(int id, long from, long to, float x0, float y0, float vx = 0, float vy = 0, float noisePx = 0,
        float kpScore = 0.9f, Func<long, (float X, float Y)?>? at = null, float boxH = BoxH)
    {
        for (long f = from; f <= to; f++)
        {
            var (x, y) = at?.Invoke(f) ?? (x0 + vx * (f - from), y0 + vy * (f - from));
            var kps = new Keypoint[Pose.Length];
            float boxW = boxH * BoxW / BoxH;
            for (int j = 0; j < Pose.Length; j++)
                kps[j] = new Keypoint(x + Pose[j].X * boxW + Noise(noisePx), y + Pose[j].Y * boxH + Noise(noisePx), kpScore);
            Add(f, new Person(new BoxF(x, y, boxW, boxH), 0.9f, kps, Skeleton.Coco17) { TrackId = id });
        }
        return this;
    }

    /// <summary>Makes sure frame <paramref name="f"/> is logged even when nobody is in it.</summary>
    public SyntheticRun Frames(long from, long to)
    {
        for (long f = from; f <= to; f++) _frames.TryAdd(f, []);
        return this;
    }

    /// <summary>Leaves frames out of the log, as dropped frames are.</summary>
    public SyntheticRun Drop(long from, long to)
    {
        for (long f = from; f <= to; f++) _frames.Remove(f);
        return this;
    }

    private void Add(long f, Person p)
    {
        if (!_frames.TryGetValue(f, out var list)) _frames[f] = list = [];
        list.Add(p);
    }

    private float Noise(float sigma)
    {
        if (sigma == 0) return 0;
        double u1 = 1 - _rng.NextDouble(), u2 = _rng.NextDouble();
        return (float)(sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    public static JsonLinesHeader Header(string input = "/nonexistent/synthetic.mp4", long? frameCount = null, double fps = 25) => new(
        input, Width, Height, fps, frameCount, "rtmdet-nano", "simplepose-nano", Skeleton.Coco17,
        new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));

    /// <summary>Writes the log into a new temp folder and returns its path.</summary>
    public string Write(string? input = null, long? frameCount = null, string name = "run.jsonl")
    {
        var path = Path.Combine(TestData.TempDir("report"), name);
        using var sink = new JsonLinesSink(path, Header(input ?? "/nonexistent/synthetic.mp4", frameCount, Fps));
        foreach (var (f, persons) in _frames)
            sink.Write(new FrameResult(f, f * 1000.0 / Fps, Width, Height, persons), null);
        sink.Complete();
        return path;
    }
}
