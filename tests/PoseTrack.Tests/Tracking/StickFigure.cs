using PoseTrack.Core;

namespace PoseTrack.Tests.Tracking;

/// <summary>
/// Synthetic COCO-17 persons: a frontal stick figure with adult proportions (fractions of body height measured up
/// from the feet), arms and legs swinging with a walking phase, and a detector-like box around it.
/// </summary>
internal static class StickFigure
{
    // (x offset, height above feet) as fractions of body height; the person's left is image right (facing camera).
    private static readonly (float Dx, float Up)[] Layout =
    [
        (0f, .93f),                       // nose
        (.02f, .945f), (-.02f, .945f),    // eyes
        (.045f, .935f), (-.045f, .935f),  // ears
        (.12f, .82f), (-.12f, .82f),      // shoulders
        (.14f, .63f), (-.14f, .63f),      // elbows
        (.15f, .48f), (-.15f, .48f),      // wrists
        (.08f, .52f), (-.08f, .52f),      // hips
        (.08f, .28f), (-.08f, .28f),      // knees
        (.08f, .04f), (-.08f, .04f),      // ankles
    ];

    /// <summary>Keypoints of a person whose feet centre is at (x, feetY), <paramref name="height"/> px tall.</summary>
    public static Keypoint[] Pose(float x, float feetY, float height, float phase = 0f, float score = 0.9f)
    {
        var k = new Keypoint[17];
        float swing = MathF.Sin(phase);
        for (int j = 0; j < 17; j++)
        {
            var (dx, up) = Layout[j];
            // Walking: wrists and ankles swing in opposition, elbows and knees half as much.
            float side = j % 2 == 1 ? 1f : -1f;
            float s = j switch
            {
                9 or 10 => .05f * side * swing,
                7 or 8 => .025f * side * swing,
                15 or 16 => -.06f * side * swing,
                13 or 14 => -.03f * side * swing,
                _ => 0f,
            };
            k[j] = new Keypoint(x + (dx + s) * height, feetY - up * height, score);
        }
        return k;
    }

    /// <summary>A person as a detector would report it: the pose and a box padded around it to the head top.</summary>
    public static Person Make(float x, float feetY, float height, float phase = 0f, float score = 0.9f)
    {
        var k = Pose(x, feetY, height, phase, score);
        float x1 = float.MaxValue, x2 = float.MinValue;
        foreach (var p in k) { x1 = Math.Min(x1, p.X); x2 = Math.Max(x2, p.X); }
        float pad = .05f * height;
        var box = BoxF.FromCorners(x1 - pad, feetY - height, x2 + pad, feetY + .01f * height);
        return new Person(box, .95f, k, Skeleton.Coco17);
    }
}

/// <summary>A frame of a scripted scene: named persons, so tests can follow who got which id.</summary>
internal sealed class Scene
{
    public List<List<(string Name, Person Person)>> Frames { get; } = [];
    public double Fps { get; init; } = 30;

    public List<(string Name, Person Person)> Frame(int i)
    {
        while (Frames.Count <= i) Frames.Add([]);
        return Frames[i];
    }

    /// <summary>Runs the scene; result[frame][name] = id given.</summary>
    public List<Dictionary<string, int>> Run(PoseTrack.Tracking.ITracker tracker)
    {
        var result = new List<Dictionary<string, int>>();
        for (int f = 0; f < Frames.Count; f++)
        {
            var persons = Frames[f].Select(e => e.Person).ToList();
            var output = tracker.Update(persons, f / Fps);
            Assert.Equal(persons.Count, output.Count);
            var ids = new Dictionary<string, int>();
            for (int i = 0; i < output.Count; i++)
            {
                Assert.Same(persons[i].Skeleton, output[i].Skeleton);
                Assert.Equal(persons[i].Box, output[i].Box); // same person, same order
                ids[Frames[f][i].Name] = output[i].TrackId;
            }
            Assert.Equal(output.Count, output.Select(p => p.TrackId).Distinct().Count()); // one id per person in a frame
            Assert.DoesNotContain(0, ids.Values);
            result.Add(ids);
        }
        return result;
    }

    /// <summary>Every id <paramref name="name"/> received, in frame order, without repeats next to each other.</summary>
    public static List<int> IdsOf(List<Dictionary<string, int>> run, string name)
    {
        var ids = new List<int>();
        foreach (var frame in run)
            if (frame.TryGetValue(name, out int id) && (ids.Count == 0 || ids[^1] != id)) ids.Add(id);
        return ids;
    }

    // ---- Scripted scenes shared by the OKS and IoU tracker tests ----

    /// <summary>
    /// A (near, 300 px tall) walks right, B (farther, 260 px, feet 20 px higher) walks left; they cross mid-scene.
    /// B is not detected while its feet are within <paramref name="occludeWithin"/> px of A's (A covers it); they close
    /// in at 12 px per frame, so 40 px hides B for 7 frames, during which it walks 42 px.
    /// </summary>
    public static Scene Crossing(float occludeWithin)
    {
        var s = new Scene();
        for (int f = 0; f < 70; f++)
        {
            float xa = 100 + 6 * f, xb = 520 - 6 * f;
            s.Frame(f).Add(("A", StickFigure.Make(xa, 400, 300, f * .4f)));
            if (Math.Abs(xa - xb) > occludeWithin) s.Frame(f).Add(("B", StickFigure.Make(xb, 380, 260, f * .4f + 1)));
        }
        return s;
    }

    /// <summary>A walks slowly (1 px/frame) and is missing for <paramref name="hidden"/> frames from frame 20; B stands still far away.</summary>
    public static Scene Hidden(int hidden)
    {
        var s = new Scene();
        for (int f = 0; f < 20 + hidden + 20; f++)
        {
            s.Frame(f).Add(("B", StickFigure.Make(900, 420, 280)));
            if (f < 20 || f >= 20 + hidden) s.Frame(f).Insert(0, ("A", StickFigure.Make(200 + f, 400, 300, f * .1f)));
        }
        return s;
    }

    /// <summary>A walks out over the right border of a 1280-wide image; 5 frames later B walks in from the left.</summary>
    public static Scene LeaveAndEnter()
    {
        var s = new Scene();
        for (int f = 0; f < 30; f++)
            s.Frame(f).Add(("A", StickFigure.Make(1150 + 6 * f, 400, 300, f * .4f))); // last frames partly beyond x = 1280
        for (int f = 35; f < 70; f++)
            s.Frame(f).Add(("B", StickFigure.Make(-40 + 6 * (f - 35), 400, 300, f * .4f)));
        return s;
    }
}
