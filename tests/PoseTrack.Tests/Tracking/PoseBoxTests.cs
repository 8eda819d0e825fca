using PoseTrack.Core;
using PoseTrack.Tracking;

namespace PoseTrack.Tests.Tracking;

public class PoseBoxTests
{
    [Fact]
    public void Box_is_the_confident_extent_grown_by_a_quarter_about_its_centre()
    {
        Keypoint[] k = [new(100, 100, 0.9f), new(200, 300, 0.8f), new(1000, 1000, 0.1f)];
        var box = PoseBox.FromKeypoints(k, 0.3f);
        Assert.NotNull(box);
        Assert.Equal(new BoxF(87.5f, 75f, 125f, 250f), box.Value);
        Assert.Equal(new BoxF(100, 100, 100, 200), PoseBox.FromKeypoints(k, 0.3f, 1f));
    }

    [Fact]
    public void Fewer_than_two_confident_points_give_null()
    {
        Assert.Null(PoseBox.FromKeypoints([], 0.3f));
        Assert.Null(PoseBox.FromKeypoints([new Keypoint(1, 2, 0.9f)], 0.3f));
        Assert.Null(PoseBox.FromKeypoints([new Keypoint(1, 2, 0.9f), new Keypoint(5, 5, 0.2f)], 0.3f));
        Assert.Null(PoseBox.FromKeypoints([new Keypoint(1, 2, 0.9f), new Keypoint(float.NaN, 5, 0.9f)], 0.3f));
        Assert.Null(PoseBox.FromKeypoints([new Keypoint(3, 3, 0.9f), new Keypoint(3, 3, 0.9f)], 0.3f)); // one spot
    }

    [Fact]
    public void A_stick_figure_box_holds_the_whole_figure()
    {
        var k = StickFigure.Pose(400, 500, 300);
        var box = PoseBox.FromKeypoints(k, 0.3f)!.Value;
        Assert.All(k, p => Assert.True(p.X > box.X && p.X < box.Right && p.Y > box.Y && p.Y < box.Bottom));
    }
}
