using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Tracking;

namespace PoseTrack.Tests.Tracking;

/// <summary>
/// The track lifecycle on synthetic scenes: tentative → confirmed → lost → re-found or ended, pose plausibility,
/// two-stage association with low-score boxes, and appearance from drawn frames.
/// </summary>
public class TrackLifecycleTests
{
    private const double Fps = 30;

    /// <summary>A stick figure whose detector box scores <paramref name="boxScore"/>.</summary>
    private static Person Figure(float x, float feetY = 400, float height = 300, float phase = 0, float boxScore = .95f) =>
        StickFigure.Make(x, feetY, height, phase) with { BoxScore = boxScore };

    [Fact]
    public void A_one_frame_false_positive_never_gets_an_id()
    {
        var tracker = new OksTracker();
        var seen = new List<int>();
        for (int f = 0; f < 30; f++)
        {
            var persons = new List<Person> { Figure(200 + f, phase: f * .1f) };
            if (f == 10) persons.Add(Figure(800, boxScore: .6f)); // a plausible ghost, one frame, under the confirm-at-once score
            var output = tracker.Update(persons, f / Fps);
            seen.Add(output[0].TrackId);
            if (f == 10) Assert.Equal(0, output[1].TrackId);
        }
        Assert.Equal([1], seen.Distinct());
        Assert.DoesNotContain(tracker.LiveTracks, t => t.Id != 1);
        Assert.Equal(1, tracker.Counts.TracksDropped);
        Assert.Equal(1, tracker.Counts.TracksConfirmed);
    }

    [Fact]
    public void A_modest_score_person_is_confirmed_after_ConfirmHits_frames_and_keeps_that_id()
    {
        var tracker = new OksTracker(new TrackerOptions { ConfirmHits = 3, ConfirmWindow = 5 });
        var ids = Enumerable.Range(0, 10).Select(f => tracker.Update([Figure(300 + 2 * f, boxScore: .6f)], f / Fps)[0].TrackId).ToList();
        Assert.Equal([0, 0, 1, 1, 1, 1, 1, 1, 1, 1], ids);
        Assert.Equal(2, tracker.Counts.TentativeFrames); // the two frames before confirmation were left out
    }

    [Fact]
    public void A_person_scoring_over_the_confirm_score_gets_an_id_at_once()
    {
        var tracker = new OksTracker();
        Assert.Equal(1, tracker.Update([Figure(300, boxScore: .9f)], 0)[0].TrackId);
    }

    [Fact]
    public void A_person_hidden_two_seconds_comes_back_near_where_they_left_with_the_same_id()
    {
        // MaxAge is one second, so A is lost half-way; re-finding (position alone: no frames here) gives id 1 back.
        var run = Scene.Hidden((int)(2 * Fps)).Run(new OksTracker(new TrackerOptions { MaxAge = 30 }));
        Assert.Equal([1], Scene.IdsOf(run, "A"));
        Assert.Equal([2], Scene.IdsOf(run, "B"));
        var iou = Scene.Hidden((int)(2 * Fps)).Run(new IouTracker(new TrackerOptions { MaxAge = 30 }));
        Assert.Equal([1], Scene.IdsOf(iou, "A"));
    }

    [Fact]
    public void A_person_gone_longer_than_the_reid_window_gets_a_new_id()
    {
        var run = Scene.Hidden((int)(4 * Fps)).Run(new OksTracker(new TrackerOptions { MaxAge = 30, ReidWindowSeconds = 3 }));
        Assert.Equal([1, 3], Scene.IdsOf(run, "A"));
    }

    [Fact]
    public void Someone_else_appearing_where_a_person_left_does_not_take_their_id_when_they_look_different()
    {
        var tracker = new OksTracker(new TrackerOptions { MaxAge = 10 });
        var ids = new Dictionary<string, HashSet<int>> { ["red"] = [], ["blue"] = [] };
        for (int f = 0; f < 60; f++)
        {
            var who = f < 20 ? "red" : f >= 40 ? "blue" : null;
            if (who is null) { tracker.Update([], f / Fps, Drawn([])); continue; }
            var p = Figure(400 + f, phase: f * .1f);
            var output = tracker.Update([p], f / Fps, Drawn([(p, who == "red" ? Red : Blue)]));
            ids[who].Add(output[0].TrackId);
        }
        Assert.Equal([1], ids["red"]);
        Assert.Equal([2], ids["blue"]);
        // The same scene with the same clothes: the returning person is re-found.
        var same = new OksTracker(new TrackerOptions { MaxAge = 10 });
        var sameIds = new HashSet<int>();
        for (int f = 0; f < 60; f++)
        {
            if (f is >= 20 and < 40) { same.Update([], f / Fps, Drawn([])); continue; }
            var p = Figure(400 + f, phase: f * .1f);
            sameIds.Add(same.Update([p], f / Fps, Drawn([(p, Red)]))[0].TrackId);
        }
        Assert.Equal([1], sameIds);
    }

    [Fact]
    public void Two_people_crossing_keep_their_ids_when_they_look_different()
    {
        // Same size, same depth, same gait, no motion prediction. At the meeting frame (f = 40) B is fully behind A and
        // not detected; a frame later B is 6 px from where A-track last was and 12 px from B-track's last pose, A is
        // 6 px from its track and 0 px from B-track's last pose: geometry alone would hand A to B's track.
        var options = new TrackerOptions { PredictMotion = false, AppearanceWeight = 0.2f };
        bool Swapped(OksTracker tracker, bool frames)
        {
            var a = new HashSet<int>();
            var b = new HashSet<int>();
            for (int f = 0; f < 80; f++)
            {
                Person pa = Figure(100 + 6 * f, phase: f * .4f), pb = Figure(580 - 6 * f, phase: f * .4f);
                var persons = f == 40 ? new[] { pa } : f > 40 ? new[] { pb, pa } : new[] { pa, pb };
                using var frame = Drawn(persons.Select(p => (p, ReferenceEquals(p, pa) ? Red : Blue)));
                var output = tracker.Update(persons, f / Fps, frames ? frame : null);
                for (int i = 0; i < persons.Length; i++) (ReferenceEquals(persons[i], pa) ? a : b).Add(output[i].TrackId);
            }
            return !(a.SetEquals([1]) && b.SetEquals([2]));
        }
        Assert.False(Swapped(new OksTracker(options), frames: true), "with appearance the ids were swapped");
        Assert.True(Swapped(new OksTracker(options), frames: false), "the scene does not test appearance: geometry alone kept the ids");
    }

    [Fact]
    public void A_static_implausible_pose_is_never_tracked_and_is_counted()
    {
        // A chair base: a confident "pose" scattered far outside its box, and one squeezed into a corner of its box.
        var scattered = Enumerable.Range(0, 17).Select(j => new Keypoint(400 + 37 * j % 300, 300 + 53 * j % 260, .8f)).ToArray();
        var chair = new Person(new BoxF(450, 400, 80, 90), .9f, scattered, Skeleton.Coco17);
        var squeezed = new Person(new BoxF(800, 100, 200, 400), .9f,
            Enumerable.Range(0, 17).Select(j => new Keypoint(810 + j, 110 + j % 3, .8f)).ToArray(), Skeleton.Coco17);
        var tracker = new OksTracker();
        for (int f = 0; f < 60; f++)
            Assert.All(tracker.Update([chair, squeezed], f / Fps), p => Assert.Equal(0, p.TrackId));
        Assert.Empty(tracker.LiveTracks);
        Assert.Equal(120, tracker.Counts.PersonsRejected);
    }

    [Fact]
    public void Plausibility_passes_a_person_and_fails_a_head_alone_and_a_limb_across_the_box()
    {
        var o = new TrackerOptions();
        var person = Figure(300);
        Assert.True(PosePlausibility.IsPlausible(person, o));
        var head = person.Keypoints.Select((k, j) => j < 5 ? k : k with { Score = .05f }).ToArray();
        Assert.False(PosePlausibility.IsPlausible(person with { Keypoints = head }, o));
        var longArm = (Keypoint[])person.Keypoints.Clone();
        longArm[9] = longArm[9] with { X = longArm[7].X + 250, Y = longArm[7].Y }; // forearm 250 px in a 300 px tall box
        Assert.False(PosePlausibility.IsPlausible(person with { Keypoints = longArm }, o));
        Assert.True(PosePlausibility.IsPlausible(person with { Keypoints = head }, o with { PlausibleMinJoints = 0 }));
    }

    [Fact]
    public void A_low_score_person_continues_a_confirmed_track_but_never_starts_one()
    {
        var tracker = new OksTracker();
        var ids = new List<int>();
        for (int f = 0; f < 30; f++)
        {
            // Half hidden from frame 10 to 20: the box score drops under the start score.
            float score = f is >= 10 and < 20 ? .35f : .95f;
            var persons = new List<Person> { Figure(200 + 2 * f, phase: f * .1f, boxScore: score) };
            persons.Add(Figure(900, boxScore: .35f)); // a low-score box that never continues anything
            var output = tracker.Update(persons, f / Fps);
            ids.Add(output[0].TrackId);
            Assert.Equal(0, output[1].TrackId);
        }
        Assert.All(ids, id => Assert.Equal(1, id));
        Assert.Equal(0, tracker.Counts.PersonsRejected);
    }

    [Fact]
    public void New_options_are_validated()
    {
        Assert.Throws<PoseTrackException>(() => new TrackerOptions { ConfirmHits = 0 }.Validate());
        Assert.Throws<PoseTrackException>(() => new TrackerOptions { ConfirmHits = 4, ConfirmWindow = 3 }.Validate());
        Assert.Throws<PoseTrackException>(() => new TrackerOptions { ConfirmWindow = 33 }.Validate());
        Assert.Throws<PoseTrackException>(() => new TrackerOptions { TrackStartScore = 1.5f }.Validate());
        Assert.Throws<PoseTrackException>(() => new TrackerOptions { ReidWindowSeconds = double.NaN }.Validate());
        Assert.Throws<PoseTrackException>(() => new TrackerOptions { ReidMaxSizeRatio = .5f }.Validate());
        Assert.Throws<PoseTrackException>(() => new TrackerOptions { PlausibleMinInBox = 2 }.Validate());
        Assert.Throws<PoseTrackException>(() => new TrackerOptions { AppearanceUpdate = 0 }.Validate());
        new TrackerOptions().Validate();
    }

    [Fact]
    public void The_descriptor_tells_clothes_apart_and_needs_a_visible_body()
    {
        var d = new ColorHistogramDescriptor();
        var p = Figure(400);
        float[] red = new float[d.Length], red2 = new float[d.Length], blue = new float[d.Length];
        Assert.True(d.TryDescribe(Drawn([(p, Red)]), p, .3f, red));
        Assert.True(d.TryDescribe(Drawn([(Figure(600), Red)]), Figure(600), .3f, red2));
        Assert.True(d.TryDescribe(Drawn([(p, Blue)]), p, .3f, blue));
        Assert.True(d.Similarity(red, red2) > .9f, $"same clothes {d.Similarity(red, red2)}");
        Assert.True(d.Similarity(red, blue) < .6f, $"different clothes {d.Similarity(red, blue)}");
        var faceOnly = p with { Keypoints = p.Keypoints.Select((k, j) => j < 5 ? k : k with { Score = 0 }).ToArray() };
        Assert.False(d.TryDescribe(Drawn([(p, Red)]), faceOnly, .3f, new float[d.Length]));
    }

    // ---- Drawn frames: each person's torso and legs painted in their clothes' colours on a grey background ----

    private static readonly (Scalar Shirt, Scalar Trousers) Red = (new Scalar(40, 40, 220), new Scalar(30, 30, 30));
    private static readonly (Scalar Shirt, Scalar Trousers) Blue = (new Scalar(200, 90, 20), new Scalar(170, 200, 210));

    private static Mat Drawn(IEnumerable<(Person Person, (Scalar Shirt, Scalar Trousers) Clothes)> persons)
    {
        var image = new Mat(720, 1280, MatType.CV_8UC3, new Scalar(128, 128, 128));
        foreach (var (person, (shirt, trousers)) in persons)
        {
            var k = person.Keypoints;
            Point P(int j) => new((int)k[j].X, (int)k[j].Y);
            // Thin strokes along the sampled segments, so two people a few pixels apart keep their own pixels.
            Cv2.Line(image, P(5), P(11), shirt, 5);
            Cv2.Line(image, P(6), P(12), shirt, 5);
            Cv2.Line(image, new Point((k[5].X + k[6].X) / 2, (k[5].Y + k[6].Y) / 2), new Point((k[11].X + k[12].X) / 2, (k[11].Y + k[12].Y) / 2), shirt, 5);
            foreach (var (a, b) in new[] { (11, 13), (13, 15), (12, 14), (14, 16) }) Cv2.Line(image, P(a), P(b), trousers, 5);
        }
        return image;
    }
}
