using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Detection;
using PoseTrack.Tests.ModelImport;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Pose;

/// <summary>The real models on real COCO photos with keypoint ground truth (../shared/data/coco).</summary>
public sealed class CocoImagesIntegrationTests(ITestOutputHelper output)
{
    private static float OksOf(Person p, CocoPerson gt) =>
        Oks.Compute(p.Keypoints, gt.Keypoints, gt.Area, Skeleton.Coco17.Sigmas, float.NegativeInfinity, 0.5f);

    [Fact]
    public void GroundTruthBoxes_GiveMeanOksAbove075()
    {
        var persons = MoveNetCoco.LoadPersons();
        using var estimator = PoseEstimator.Create(new PoseEstimatorOptions { ModelsDirectory = TestData.ModelsDir, PoseModel = "simplepose-nano" });
        var oks = new List<float>();
        foreach (var group in persons.GroupBy(p => p.ImagePath))
        {
            using var img = Cv2.ImRead(group.Key);
            var boxes = group.Select(g => new PersonDetection(g.Box, 1f)).ToList();
            var poses = estimator.EstimateInBoxes(img, boxes);
            oks.AddRange(group.Select((g, i) => OksOf(poses[i], g)));
        }
        output.WriteLine($"GT boxes: mean OKS {oks.Average():F3} over {oks.Count}: {string.Join(" ", oks.Select(o => o.ToString("F3")))}");
        Assert.Equal(12, oks.Count);
        Assert.True(oks.Average() >= 0.75, $"mean OKS {oks.Average():F3}");
    }

    [Theory]
    [InlineData("movenet-lightning", 0.75)]
    [InlineData("movenet-thunder", 0.82)]
    public void LicensedPoseModels_OnGroundTruthBoxes_ReachTheirMeasuredMeanOks(string model, double floor)
    {
        var persons = MoveNetCoco.LoadPersons();
        using var estimator = PoseEstimator.Create(new PoseEstimatorOptions { ModelsDirectory = TestData.ModelsDir, PoseModel = model });
        var oks = new List<float>();
        foreach (var group in persons.GroupBy(p => p.ImagePath))
        {
            using var img = Cv2.ImRead(group.Key);
            var poses = estimator.EstimateInBoxes(img, group.Select(g => new PersonDetection(g.Box, 1f)).ToList());
            oks.AddRange(group.Select((g, i) => OksOf(poses[i], g)));
        }
        output.WriteLine($"{model}: mean OKS {oks.Average():F3} over {oks.Count}");
        Assert.True(oks.Average() >= floor, $"{model}: mean OKS {oks.Average():F3} < {floor}");
    }

    [Theory]
    [InlineData("rtmdet-nano")]
    [InlineData("yolox-nano")]
    public void Detector_FindsEveryAnnotatedPerson_AndPosesScoreMeanOksAbove075(string detector)
    {
        var persons = MoveNetCoco.LoadPersons();
        using var estimator = PoseEstimator.Create(new PoseEstimatorOptions { ModelsDirectory = TestData.ModelsDir, Detector = detector, PoseModel = "simplepose-nano" });
        var oks = new List<float>();
        foreach (var group in persons.GroupBy(p => p.ImagePath))
        {
            using var img = Cv2.ImRead(group.Key);
            var found = estimator.Estimate(img);
            foreach (var gt in group)
            {
                var best = found.MaxBy(p => BoxF.IoU(p.Box, gt.Box));
                Assert.NotNull(best);
                float iou = BoxF.IoU(best!.Box, gt.Box);
                Assert.True(iou >= 0.5f, $"{detector}: person at {gt.Box} in {Path.GetFileName(gt.ImagePath)} best IoU {iou:F3}");
                oks.Add(OksOf(best, gt));
            }
        }
        output.WriteLine($"{detector}: mean OKS {oks.Average():F3} over {oks.Count}");
        Assert.True(oks.Average() >= 0.75, $"{detector}: mean OKS {oks.Average():F3}");
    }
}
