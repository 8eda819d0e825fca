using System.Text.Json;
using PoseTrack.Core;
using PoseTrack.Evaluation;
using Xunit;

namespace PoseTrack.Tests.Evaluation;

public class MpiiPckhEvaluatorTests
{
    // A person whose upper neck (8) is at (100, 100) and head top (9) at (100, 80): head size 20 px, so 0.5 → 10 px, 0.1 → 2 px.
    private static MpiiPerson Person(bool[]? visible = null)
    {
        var joints = Enumerable.Range(0, 16).Select(k => (X: 50.0 + 10 * k, Y: 200.0)).ToArray();
        joints[8] = (100, 100);
        joints[9] = (100, 80);
        return new MpiiPerson("a.jpg", joints, visible ?? Enumerable.Repeat(true, 16).ToArray(), 100, 150, 1);
    }

    private static Keypoint[] Exact(MpiiPerson p) => p.Joints.Select(j => new Keypoint((float)j.X, (float)j.Y, 1)).ToArray();

    [Fact]
    public void HeadSize_IsTheHeadSegment_AndMissingWhenAnEndIsNotAnnotated()
    {
        Assert.Equal(20, Person().HeadSize);
        var vis = Enumerable.Repeat(true, 16).ToArray();
        vis[MpiiPerson.HeadTop] = false;
        Assert.Null(Person(vis).HeadSize);
    }

    [Fact]
    public void Thresholds_AreHalfAndATenthOfTheHeadSize_Inclusive()
    {
        var p = Person();
        var pred = Exact(p);
        pred[0] = pred[0] with { X = pred[0].X + 10 };      // exactly 0.5: correct at 0.5
        pred[1] = pred[1] with { Y = pred[1].Y + 10.5f };   // beyond 0.5
        pred[2] = pred[2] with { X = pred[2].X + 3, Y = pred[2].Y - 4 };   // 5 px: within 0.5, not 0.1
        pred[3] = pred[3] with { X = pred[3].X - 2 };       // exactly 0.1: correct at both
        var r = MpiiPckhEvaluator.Evaluate([p], [pred]);
        Assert.Equal((1, 1, 0), (r.Joints[0].Count, r.Joints[0].Within05, r.Joints[0].Within01));
        Assert.Equal((1, 0, 0), (r.Joints[1].Count, r.Joints[1].Within05, r.Joints[1].Within01));
        Assert.Equal((1, 1, 0), (r.Joints[2].Count, r.Joints[2].Within05, r.Joints[2].Within01));
        Assert.Equal((1, 1, 1), (r.Joints[3].Count, r.Joints[3].Within05, r.Joints[3].Within01));
        // The mean is over the 14 joints other than pelvis and thorax: 13 of 14 at 0.5, 11 of 14 at 0.1.
        Assert.Equal(13.0 / 14, r.Mean05, 9);
        Assert.Equal(11.0 / 14, r.Mean01, 9);
        Assert.EndsWith("PCKh=0.929", r.FormatSummary());
    }

    [Fact]
    public void PelvisAndThorax_AreScored_ButLeftOutOfTheMean()
    {
        var p = Person();
        var pred = Exact(p);
        pred[6] = pred[6] with { X = pred[6].X + 100 };
        pred[7] = pred[7] with { X = pred[7].X + 100 };
        var r = MpiiPckhEvaluator.Evaluate([p], [pred]);
        Assert.Equal(0, r.Joints[6].Pckh05);
        Assert.Equal(0, r.Joints[7].Pckh05);
        Assert.Equal(1, r.Mean05);
    }

    [Fact]
    public void UnannotatedJoints_UnscorablePersons_AndMissedPersons_CountAsTheyShould()
    {
        var vis = Enumerable.Repeat(true, 16).ToArray();
        vis[0] = false;
        var partly = Person(vis);
        var noHead = Person(Enumerable.Range(0, 16).Select(k => k != MpiiPerson.UpperNeck).ToArray());
        var missed = Person();
        var far = Exact(partly);
        far[0] = far[0] with { X = 1e6f };   // not annotated: not scored, however wrong
        var r = MpiiPckhEvaluator.Evaluate([partly, noHead, missed], [far, Exact(noHead), null]);
        Assert.Equal((2, 1, 1), (r.Persons, r.Unscored, r.Missed));
        Assert.Equal(1, r.Joints[0].Count);       // only the missed person's r_ankle
        Assert.Equal(0, r.Joints[0].Within05);
        Assert.Equal(2, r.Joints[5].Count);
        Assert.Equal(1, r.Joints[5].Within05);    // found once, missed once
        Assert.Equal(13.0 / 27, r.Mean05, 9);     // 13 + 14 joints scored, 13 found
    }

    [Fact]
    public void Box_FollowsTheMpiiConvention()
    {
        var p = Person() with { CenterX = 300, CenterY = 200, Scale = 2 };
        // Centre moved down 15 × 2 px, side 1.25 × 200 × 2 = 500.
        Assert.Equal(new BoxF(50, -20, 500, 500), p.Box);
    }

    [Fact]
    public void Match_TakesTheNearestBoxHoldingTheCentre()
    {
        var p = Person() with { CenterX = 100, CenterY = 85, Scale = 1 };   // shifted centre (100, 100)
        var boxes = new List<BoxF> { new(150, 50, 100, 100), new(0, 0, 300, 300), new(60, 60, 80, 60) };
        Assert.Equal(2, MpiiPckhEvaluator.Match(p, boxes));
        Assert.Equal(-1, MpiiPckhEvaluator.Match(p, [new BoxF(150, 50, 100, 100)]));
    }

    [Theory]
    [InlineData("{}", "expected a JSON list")]
    [InlineData("[{\"image\":\"a.jpg\",\"joints\":[[1,2]],\"center\":[1,1],\"scale\":1}]", "'joints' has 1 entries, expected 16")]
    [InlineData("[{\"joints\":[],\"center\":[1,1],\"scale\":1}]", "entry 0 has no 'image'")]
    [InlineData("[]", "no persons")]
    public void BadFiles_AreOneClearLine(string json, string expected)
    {
        using var doc = JsonDocument.Parse(json);
        var e = Assert.Throws<PoseTrackException>(() => MpiiAnnotationsFile.Parse("f.json", doc.RootElement));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TheSharedMpiiFile_Loads_WithItsHeadSizes()
    {
        var persons = MpiiAnnotationsFile.Load(TestData.Shared("data", "mpii", "test_mpii.json"));
        Assert.Equal(5, persons.Count);
        Assert.All(persons, p => Assert.True(p.HeadSize > 10));
        // 005808361.jpg: head top (962.2, 80.0), upper neck (982.8, 236.0): 157.3 px.
        Assert.Equal(157.3, persons[0].HeadSize!.Value, 1);
    }

    [Fact]
    public void Cli_BadInputs_AreOneLine_AndTheAnnotationsAreNeverOverwritten()
    {
        var dir = TestData.TempDir("mpii-cli");
        var annotations = Path.Combine(dir, "gt.json");
        File.Copy(TestData.Shared("data", "mpii", "test_mpii.json"), annotations);
        var before = File.ReadAllBytes(annotations);
        foreach (var (args, expected) in new (string[], string)[]
        {
            (["--annotations", "missing.json", "--images", dir], "annotations file not found"),
            (["--annotations", annotations, "--images", Path.Combine(dir, "nope")], "images folder not found"),
            (["--annotations", annotations, "--images", dir, "--results", annotations], "is the input"),
        })
        {
            var r = CliProcess.Run(dir, ["eval", "mpii", .. args]);
            Assert.Equal(2, r.ExitCode);
            Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(expected, r.Stderr);
        }
        Assert.Equal(before, File.ReadAllBytes(annotations));
    }
}
