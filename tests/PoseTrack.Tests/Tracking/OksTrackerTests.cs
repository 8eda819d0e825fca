using PoseTrack.Core;
using PoseTrack.Tracking;

namespace PoseTrack.Tests.Tracking;

public class OksTrackerTests
{
    [Theory]
    [InlineData(0f, false)]  // both always seen
    [InlineData(15f, false)] // rear person hidden 3 frames
    [InlineData(40f, true)]  // hidden 7 frames, walking 42 px meanwhile: needs motion prediction
    [InlineData(70f, true)]  // hidden 12 frames
    public void Crossing_people_keep_their_ids(float occludeWithin, bool predictMotion)
    {
        var run = Scene.Crossing(occludeWithin).Run(new OksTracker(new TrackerOptions { PredictMotion = predictMotion }));
        Assert.Equal([1], Scene.IdsOf(run, "A"));
        Assert.Equal([2], Scene.IdsOf(run, "B"));
    }

    [Fact]
    public void Without_motion_prediction_a_person_walking_far_while_hidden_gets_a_new_id()
    {
        // The paper's flow-free matching compares with the last pose as is: 42 px away is too far (documented limit).
        var paper = new TrackerOptions { PredictMotion = false, IouSecondStage = false, OksWeight = 1f };
        var run = Scene.Crossing(40f).Run(new OksTracker(paper));
        Assert.Equal([1], Scene.IdsOf(run, "A"));
        Assert.Equal([2, 3], Scene.IdsOf(run, "B"));
    }

    [Fact]
    public void Tracks_learn_their_velocity_and_predict_from_it()
    {
        var tracker = new OksTracker(new TrackerOptions { PredictMotion = true });
        var scene = Scene.Crossing(0f);
        for (int f = 0; f < 10; f++) tracker.Update(scene.Frames[f].Select(e => e.Person).ToList(), f / 30.0);
        Assert.Equal(180, tracker.LiveTracks[0].VelocityX, 3); // 6 px per frame at 30 fps
        Assert.Equal(-180, tracker.LiveTracks[1].VelocityX, 3);
        Assert.Equal(0, tracker.LiveTracks[0].VelocityY, 3);
        tracker.Update([], 11 / 30.0); // both missed: the expected pose moves on by 2 frames' worth
        var a = tracker.LiveTracks[0];
        Assert.Equal(a.Box.X + 12, a.PredictedBox.X, 3);
        Assert.Equal(a.Keypoints[0].X + 12, a.PredictedKeypoints[0].X, 3);
    }

    [Fact]
    public void Person_hidden_ten_frames_comes_back_with_the_same_id()
    {
        var tracker = new OksTracker();
        var scene = Scene.Hidden(10);
        var run = scene.Run(tracker);
        Assert.Equal([1], Scene.IdsOf(run, "A"));
        Assert.Equal([2], Scene.IdsOf(run, "B"));
    }

    [Fact]
    public void Hidden_track_stays_live_and_counts_missed_frames()
    {
        var tracker = new OksTracker();
        var scene = Scene.Hidden(10);
        for (int f = 0; f < 25; f++) tracker.Update(scene.Frames[f].Select(e => e.Person).ToList(), f / 30.0);
        var a = Assert.Single(tracker.LiveTracks, t => t.Id == 1);
        Assert.Equal(5, a.FramesSinceSeen);
        Assert.Equal(19 / 30.0, a.LastSeenSeconds, 9);
        Assert.Equal(scene.Frames[19][0].Person.Keypoints, a.Keypoints.ToArray()); // raw pose of the last sighting
        Assert.Equal(0, Assert.Single(tracker.LiveTracks, t => t.Id == 2).FramesSinceSeen);
        Assert.Equal([1, 2], tracker.LiveTracks.Select(t => t.Id));
    }

    [Theory]
    [InlineData(30, false)] // exactly MaxAge frames missed: still alive
    [InlineData(31, true)]  // one more: dropped
    [InlineData(45, true)]
    public void Without_refinding_a_person_hidden_longer_than_MaxAge_gets_a_new_id(int hidden, bool expectNewId)
    {
        // Re-finding off: the rule for MaxAge alone (with it on, A would take id 1 back; see TrackLifecycleTests).
        var tracker = new OksTracker(new TrackerOptions { MaxAge = 30, ReidWindowSeconds = 0 });
        var run = Scene.Hidden(hidden).Run(tracker);
        Assert.Equal(expectNewId ? [1, 3] : [1], Scene.IdsOf(run, "A"));
        Assert.Equal([2], Scene.IdsOf(run, "B"));
        Assert.DoesNotContain(tracker.LiveTracks, t => t.FramesSinceSeen > 30);
    }

    [Fact]
    public void Person_leaving_and_another_entering_elsewhere_get_different_ids()
    {
        var run = Scene.LeaveAndEnter().Run(new OksTracker());
        Assert.Equal([1], Scene.IdsOf(run, "A"));
        Assert.Equal([2], Scene.IdsOf(run, "B"));
    }

    [Fact]
    public void Ids_count_up_from_one_and_are_never_reused()
    {
        var tracker = new OksTracker(new TrackerOptions { MaxAge = 5, ReidWindowSeconds = 0 });
        var scene = new Scene();
        // P appears, vanishes past MaxAge, and a person appears on the same spot: a new id, not P's (re-finding off,
        // or Q would take P's id back as the same person returning).
        for (int f = 0; f < 5; f++) scene.Frame(f).Add(("P", StickFigure.Make(300, 400, 300)));
        for (int f = 12; f < 20; f++) scene.Frame(f).Add(("Q", StickFigure.Make(300, 400, 300)));
        for (int f = 15; f < 20; f++) scene.Frame(f).Add(("R", StickFigure.Make(900, 400, 300)));
        for (int f = 30; f < 35; f++) scene.Frame(f).Add(("S", StickFigure.Make(600, 400, 300)));
        var run = scene.Run(tracker);
        Assert.Equal([1], Scene.IdsOf(run, "P"));
        Assert.Equal([2], Scene.IdsOf(run, "Q"));
        Assert.Equal([3], Scene.IdsOf(run, "R"));
        Assert.Equal([4], Scene.IdsOf(run, "S"));
    }

    [Fact]
    public void Same_input_gives_the_same_ids()
    {
        // A busy scene: crossing pair, a person hidden past MaxAge, and people entering and leaving.
        var scene = new Scene();
        var parts = new[] { Scene.Crossing(40), Scene.Hidden(40), Scene.LeaveAndEnter() };
        foreach (var part in parts)
            for (int f = 0; f < part.Frames.Count; f++)
                foreach (var (name, p) in part.Frames[f]) scene.Frame(f).Add((name + part.GetHashCode(), p));
        var tracker = new OksTracker();
        var first = scene.Run(tracker);
        var second = scene.Run(new OksTracker());
        tracker.Reset();
        var afterReset = scene.Run(tracker);
        Assert.Equal(first, second);
        Assert.Equal(first, afterReset);
    }

    [Fact]
    public void Ties_go_to_the_lower_track_id_then_the_lower_person_index()
    {
        var tracker = new OksTracker(new TrackerOptions { Smooth = false });
        var twin = StickFigure.Make(300, 400, 300);
        Assert.Equal([1, 2], tracker.Update([twin, twin], 0).Select(p => p.TrackId));
        Assert.Equal([1, 2], tracker.Update([twin, twin], 1 / 30.0).Select(p => p.TrackId));
        // A third identical person: the first two take the old tracks, the last is new.
        Assert.Equal([1, 2, 3], tracker.Update([twin, twin, twin], 2 / 30.0).Select(p => p.TrackId));
    }

    [Fact]
    public void Output_is_the_input_in_order_with_ids_and_the_input_is_untouched()
    {
        var tracker = new OksTracker();
        var a = StickFigure.Make(200, 400, 300) with { TrackId = 77 };
        var b = StickFigure.Make(800, 400, 300);
        var rawA = a.Keypoints.ToArray();
        var outs = tracker.Update([a, b], 0);
        Assert.Equal([1, 2], outs.Select(p => p.TrackId));
        Assert.Equal(77, a.TrackId);
        var next = StickFigure.Make(203, 400, 300);
        var rawNext = next.Keypoints.ToArray();
        outs = tracker.Update([b, next], 1 / 30.0);
        Assert.Equal([2, 1], outs.Select(p => p.TrackId));
        Assert.Equal(rawA, a.Keypoints);
        Assert.Equal(rawNext, next.Keypoints);
        // Smoothed output lies between the previous and the new raw position; LiveTracks keep the raw pose.
        Assert.InRange(outs[1].Keypoints[0].X, 200f, 203f - 1e-3f);
        Assert.Equal(rawNext, tracker.LiveTracks[0].Keypoints.ToArray());
        Assert.Equal(next.Keypoints[0].Score, outs[1].Keypoints[0].Score);
    }

    [Fact]
    public void Without_smoothing_the_keypoints_pass_through()
    {
        var tracker = new OksTracker(new TrackerOptions { Smooth = false });
        Assert.Null(tracker.Smoother);
        var p = StickFigure.Make(200, 400, 300);
        tracker.Update([p], 0);
        var q = StickFigure.Make(205, 400, 300);
        Assert.Same(q.Keypoints, tracker.Update([q], 0.04)[0].Keypoints);
    }

    [Fact]
    public void Smoothing_state_lives_and_dies_with_its_track()
    {
        var tracker = new OksTracker(new TrackerOptions { MaxAge = 3 });
        tracker.Update([StickFigure.Make(200, 400, 300), StickFigure.Make(800, 400, 300)], 0);
        Assert.Equal(2, tracker.Smoother!.TrackCount);
        for (int f = 1; f <= 4; f++) tracker.Update([StickFigure.Make(800, 400, 300)], f / 30.0);
        Assert.Equal([2], tracker.LiveTracks.Select(t => t.Id));
        Assert.False(tracker.Smoother.Contains(1));
        Assert.True(tracker.Smoother.Contains(2));
    }

    [Fact]
    public void Few_confident_keypoints_fall_back_to_box_iou()
    {
        // Plausibility off: a pose with no confident joint would not start a track at all (see TrackLifecycleTests).
        var tracker = new OksTracker(new TrackerOptions { Smooth = false, PlausibleMinJoints = 0 });
        var p = StickFigure.Make(300, 400, 300, score: 0.1f); // no keypoint over 0.3
        Assert.Equal(1, tracker.Update([p], 0)[0].TrackId);
        var moved = StickFigure.Make(310, 400, 300, score: 0.1f); // IoU ≈ 0.9
        Assert.Equal(1, tracker.Update([moved], 1 / 30.0)[0].TrackId);
        var far = StickFigure.Make(700, 400, 300, score: 0.1f); // IoU 0
        Assert.Equal(2, tracker.Update([far], 2 / 30.0)[0].TrackId);
    }

    [Fact]
    public void Odd_frames_do_not_throw()
    {
        // Plausibility off and confirmation at once, so every odd person is tracked and reaches every code path; the
        // default run below rejects most of them and must not throw either.
        var tracker = new OksTracker(new TrackerOptions { PlausibleMinJoints = 0, ConfirmHits = 1 });
        var coincident = Enumerable.Repeat(new Keypoint(50, 50, 0.9f), 17).ToArray();
        var nan = StickFigure.Pose(500, 400, 300);
        nan[3] = new Keypoint(float.NaN, float.NaN, 0.9f);
        var mpii = new Person(new BoxF(600, 100, 100, 300), 0.9f,
            Enumerable.Range(0, 16).Select(i => new Keypoint(620 + i, 120 + 10 * i, 0.9f)).ToArray(), Skeleton.Mpii16);
        Person[][] frames =
        [
            [],
            [StickFigure.Make(0, 400, 300), StickFigure.Make(1280, 720, 300)],            // on the borders, partly outside
            [],
            [StickFigure.Make(-2, 400, 300), StickFigure.Make(1282, 722, 300)],
            [new Person(new BoxF(50, 50, 0, 0), 0.9f, coincident, Skeleton.Coco17)],     // zero-size box, one-spot pose
            [new Person(new BoxF(50, 50, 0, 0), 0.9f, coincident, Skeleton.Coco17)],
            [new Person(new BoxF(10, 10, 0, 0), 0.5f, [], Skeleton.Coco17)],              // no keypoints at all
            [new Person(new BoxF(10, 10, 0, 0), 0.5f, [], Skeleton.Coco17)],
            [new Person(new BoxF(400, 100, 200, 300), 0.9f, nan, Skeleton.Coco17), mpii],
            [new Person(new BoxF(400, 100, 200, 300), 0.9f, nan, Skeleton.Coco17), mpii],
            [new Person(new BoxF(float.NaN, 0, 10, 10), 0.9f, nan, Skeleton.Coco17)],
            [],
        ];
        double t = 0;
        foreach (var frame in frames)
        {
            var output = tracker.Update(frame, t += 1 / 30.0);
            Assert.Equal(frame.Length, output.Count);
            Assert.All(output, p => Assert.True(p.TrackId > 0));
        }
        var defaults = new OksTracker();
        t = 0;
        foreach (var frame in frames) Assert.Equal(frame.Length, defaults.Update(frame, t += 1 / 30.0).Count);
        // The same frame time twice (a broken container) must not break smoothing either.
        var same = tracker.Update([StickFigure.Make(300, 400, 300)], t);
        Assert.All(same[0].Keypoints, k => Assert.True(float.IsFinite(k.X) && float.IsFinite(k.Y)));
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        var tracker = new OksTracker();
        Assert.Throws<ArgumentNullException>(() => tracker.Update(null!, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => tracker.Update([], double.NaN));
        Assert.Throws<ArgumentException>(() => tracker.Update([null!], 0));
        Assert.Throws<PoseTrackException>(() => new OksTracker(new TrackerOptions { MatchThreshold = 1.5f }));
        Assert.Throws<PoseTrackException>(() => new IouTracker(new TrackerOptions { MaxAge = -1 }));
        Assert.Throws<PoseTrackException>(() => new OksTracker(new TrackerOptions { MinCutoff = 0 }));
        Assert.Throws<PoseTrackException>(() => new OksTracker(new TrackerOptions { Beta = double.NaN }));
    }

    [Theory]
    [InlineData(30, 30)]
    [InlineData(25, 25)]
    [InlineData(59.94, 60)]
    [InlineData(0.5, 1)]
    public void MaxAge_spans_one_second(double fps, int expected) =>
        Assert.Equal(expected, TrackerOptions.MaxAgeForFps(fps));

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void MaxAge_rejects_bad_frame_rates(double fps) =>
        Assert.Throws<PoseTrackException>(() => TrackerOptions.MaxAgeForFps(fps));

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var o = new TrackerOptions();
        Assert.Equal(0.3f, o.MatchThreshold);
        Assert.Equal(0.3f, o.KeypointScoreThreshold);
        Assert.Equal(3, o.MinSharedKeypoints);
        Assert.Equal(0.3f, o.IouMatchThreshold);
        Assert.Equal(30, o.MaxAge);
        Assert.True(o.Smooth);
        Assert.True(o.PredictMotion);
        Assert.True(o.IouSecondStage);
        Assert.Equal(0.5f, o.OksWeight);
        Assert.Equal((1.0, 0.02, 1.0), (o.MinCutoff, o.Beta, o.DCutoff));
    }
}
