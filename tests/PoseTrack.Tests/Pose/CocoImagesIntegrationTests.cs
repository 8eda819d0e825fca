using System.Text.Json;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Detection;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Pose;

/// <summary>The real models on real COCO photos with keypoint ground truth (../shared/data/coco).</summary>
public sealed class CocoImagesIntegrationTests(ITestOutputHelper output)
{
    private sealed record GtPerson(long ImageId, BoxF Box, float Area, Keypoint[] Keypoints);

    private static (Dictionary<long, string> Images, List<GtPerson> Persons) LoadGt()
    {
        var path = TestData.Shared("data", "coco", "test_coco.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var images = doc.RootElement.GetProperty("images").EnumerateArray()
            .ToDictionary(i => i.GetProperty("id").GetInt64(), i => Path.Combine(Path.GetDirectoryName(path)!, i.GetProperty("file_name").GetString()!));
        var persons = new List<GtPerson>();
        foreach (var a in doc.RootElement.GetProperty("annotations").EnumerateArray())
        {
            if (a.GetProperty("num_keypoints").GetInt32() == 0) continue;
            var b = a.GetProperty("bbox").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            var k = a.GetProperty("keypoints").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            var kps = Enumerable.Range(0, 17).Select(j => new Keypoint(k[3 * j], k[3 * j + 1], k[3 * j + 2])).ToArray();
            persons.Add(new GtPerson(a.GetProperty("image_id").GetInt64(), new BoxF(b[0], b[1], b[2], b[3]), a.GetProperty("area").GetSingle(), kps));
        }
        return (images, persons);
    }

    private static float OksOf(Person p, GtPerson gt) =>
        Oks.Compute(p.Keypoints, gt.Keypoints, gt.Area, Skeleton.Coco17.Sigmas, float.NegativeInfinity, 0.5f);

    [Fact]
    public void GroundTruthBoxes_GiveMeanOksAbove075()
    {
        var (images, persons) = LoadGt();
        using var estimator = PoseEstimator.Create(new PoseEstimatorOptions { ModelsDirectory = TestData.ModelsDir, PoseModel = "simplepose-nano" });
        var oks = new List<float>();
        foreach (var group in persons.GroupBy(p => p.ImageId))
        {
            using var img = Cv2.ImRead(images[group.Key]);
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
        var (images, persons) = LoadGt();
        using var estimator = PoseEstimator.Create(new PoseEstimatorOptions { ModelsDirectory = TestData.ModelsDir, PoseModel = model });
        var oks = new List<float>();
        foreach (var group in persons.GroupBy(p => p.ImageId))
        {
            using var img = Cv2.ImRead(images[group.Key]);
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
        var (images, persons) = LoadGt();
        using var estimator = PoseEstimator.Create(new PoseEstimatorOptions { ModelsDirectory = TestData.ModelsDir, Detector = detector, PoseModel = "simplepose-nano" });
        var oks = new List<float>();
        foreach (var group in persons.GroupBy(p => p.ImageId))
        {
            using var img = Cv2.ImRead(images[group.Key]);
            var found = estimator.Estimate(img);
            foreach (var gt in group)
            {
                var best = found.MaxBy(p => BoxF.IoU(p.Box, gt.Box));
                Assert.NotNull(best);
                float iou = BoxF.IoU(best!.Box, gt.Box);
                Assert.True(iou >= 0.5f, $"{detector}: person at {gt.Box} in image {gt.ImageId} best IoU {iou:F3}");
                oks.Add(OksOf(best, gt));
            }
        }
        output.WriteLine($"{detector}: mean OKS {oks.Average():F3} over {oks.Count}");
        Assert.True(oks.Average() >= 0.75, $"{detector}: mean OKS {oks.Average():F3}");
    }
}
