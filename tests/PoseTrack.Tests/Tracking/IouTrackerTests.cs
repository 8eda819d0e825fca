using PoseTrack.Tracking;

namespace PoseTrack.Tests.Tracking;

/// <summary>The IoU baseline on the same scenes; crossing may swap ids there, so only sanity is checked.</summary>
public class IouTrackerTests
{
    [Theory]
    [InlineData(0f, false)]
    [InlineData(40f, false)]
    [InlineData(40f, true)]
    public void Crossing_gives_each_person_one_id_per_frame_and_no_churn(float occludeWithin, bool predictMotion)
    {
        var tracker = new IouTracker(new TrackerOptions { PredictMotion = predictMotion });
        var run = Scene.Crossing(occludeWithin).Run(tracker); // Run checks distinct, non-zero ids per frame
        Assert.Equal(1, run[0]["A"]);
        Assert.Equal(2, run[0]["B"]);
        // Ids may swap at the crossing, but boxes overlap from frame to frame, so no track is lost outright.
        Assert.All(run, frame => Assert.All(frame.Values, id => Assert.InRange(id, 1, 3)));
    }

    [Fact]
    public void Person_hidden_ten_frames_comes_back_with_the_same_id()
    {
        var run = Scene.Hidden(10).Run(new IouTracker());
        Assert.Equal([1], Scene.IdsOf(run, "A"));
        Assert.Equal([2], Scene.IdsOf(run, "B"));
    }

    [Fact]
    public void Without_refinding_a_person_hidden_longer_than_MaxAge_gets_a_new_id()
    {
        var run = Scene.Hidden(31).Run(new IouTracker(new TrackerOptions { MaxAge = 30, ReidWindowSeconds = 0 }));
        Assert.Equal([1, 3], Scene.IdsOf(run, "A"));
    }

    [Fact]
    public void Person_leaving_and_another_entering_elsewhere_get_different_ids()
    {
        var run = Scene.LeaveAndEnter().Run(new IouTracker());
        Assert.Equal([1], Scene.IdsOf(run, "A"));
        Assert.Equal([2], Scene.IdsOf(run, "B"));
    }

    [Fact]
    public void Same_input_gives_the_same_ids()
    {
        var scene = Scene.Crossing(40);
        Assert.Equal(scene.Run(new IouTracker()), scene.Run(new IouTracker()));
    }
}
