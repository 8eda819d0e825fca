using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.ModelImport;
using PoseTrack.Pose;
using Xunit.Abstractions;

namespace PoseTrack.Tests.ModelImport;

/// <summary>
/// The shipped MoveNet models expose their heads (<see cref="TfjsImportOptions.MoveNetHeads"/>): decoded with MoveNet's
/// own rule they give the graph's keypoints; the pose estimator decodes every crop of a frame from the right slice of
/// the head buffers. (<c>ModelImportTests</c>: <c>models import --movenet-heads</c> converts as the shipped files were.)
/// </summary>
public sealed class MoveNetHeadsTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("movenet-lightning")]
    [InlineData("movenet-thunder")]
    public void HeadsDecodedWithMoveNetsRule_AreTheGraphsKeypoints(string name)
    {
        var (_, file, size) = MoveNetCoco.Model(name);
        using var heads = new InferenceSession(Path.Combine(TestData.ModelsDir, file));
        var keypointOutput = heads.OutputNames.Single(n => !TfjsImportOptions.MoveNetHeads.ContainsKey(n));
        int grid = (int)heads.OutputMetadata["heatmaps"].Dimensions[1];
        float graphScale = (float)(Half)(1f / grid);

        double worstCoord = 0, worstScore = 0;
        var decoded = new Keypoint[17];
        foreach (var p in MoveNetCoco.LoadPersons())
        {
            using var img = Cv2.ImRead(p.ImagePath);
            using var crop = MoveNetCoco.Crop(img, p.Box, size, out _);
            var input = MoveNetCoco.ToInput(crop);
            using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, size, size]);
            using var runOptions = new RunOptions();
            using var outs = heads.Run(runOptions, [heads.InputNames[0]], [value], heads.OutputNames);
            float[] Out(string n) => outs[heads.OutputNames.ToList().IndexOf(n)].GetTensorDataAsSpan<float>().ToArray();
            var graph = Out(keypointOutput);

            MoveNetHeadsDecoder.Decode(Out("centre"), Out("heatmaps"), Out("regress"), Out("offsets"), grid, grid, 17, 1, 1,
                MoveNetCentrePrior.Model, 0, 0, decoded);
            for (int k = 0; k < 17; k++)
            {
                // The graph scales cells by 1/grid stored as float16 (1/48 → 0.020828, 1/64 exact); the decoder divides
                // exactly, 2e-4 apart at the far edge of a lightning crop. Compare in the graph's units.
                float y = decoded[k].Y * grid * graphScale, x = decoded[k].X * grid * graphScale;
                worstCoord = Math.Max(worstCoord, Math.Max(Math.Abs(y - graph[3 * k]), Math.Abs(x - graph[3 * k + 1])));
                worstScore = Math.Max(worstScore, Math.Abs(decoded[k].Score - graph[3 * k + 2]));
            }
        }
        output.WriteLine($"{name}: max |Δ| decoded heads vs graph: coordinates {worstCoord:E2}, scores {worstScore:E2}");
        Assert.True(worstCoord <= 1e-5, $"decoding the heads differs from the graph by {worstCoord:E2} (normalised)");
        Assert.True(worstScore <= 1e-6, $"scores differ by {worstScore:E2}");
    }

    [Fact]
    public void Estimator_DecodesEachCropOfAFrameFromItsOwnHeads()
    {
        var persons = MoveNetCoco.LoadPersons().Where(p => p.ImagePath.EndsWith("000000197388.jpg", StringComparison.Ordinal)).ToList();
        Assert.True(persons.Count >= 4);
        var boxes = persons.Select(p => new PersonDetection(p.Box, 1f)).ToList();
        using var img = Cv2.ImRead(persons[0].ImagePath);
        var (_, file, size) = MoveNetCoco.Model("movenet-lightning");
        using var session = new InferenceSession(Path.Combine(TestData.ModelsDir, file));
        var names = session.OutputNames.ToList();
        int grid = size / 4;

        foreach (var prior in new[] { MoveNetCentrePrior.Box, MoveNetCentrePrior.JointsInBox })
        {
            using var estimator = PoseEstimator.Create(new PoseEstimatorOptions
            {
                ModelsDirectory = TestData.ModelsDir, PoseModel = "movenet-lightning", Pose = new PoseOptions(CentrePrior: prior),
            });
            var result = estimator.EstimateInBoxes(img, boxes);

            // The same crops one at a time, decoded here.
            var kps = new Keypoint[17];
            double worst = 0;
            for (int i = 0; i < boxes.Count; i++)
            {
                using var cropMat = MoveNetCoco.Crop(img, boxes[i].Box, size, out var crop);
                using var value = OrtValue.CreateTensorValueFromMemory(MoveNetCoco.ToInput(cropMat), [1, 3, size, size]);
                using var runOptions = new RunOptions();
                using var outs = session.Run(runOptions, [session.InputNames[0]], [value], session.OutputNames);
                float[] Out(string n) => outs[names.IndexOf(n)].GetTensorDataAsSpan<float>().ToArray();
                float boxW = boxes[i].Box.Width * grid / crop.RegionWidth, boxH = boxes[i].Box.Height * grid / crop.RegionHeight;
                MoveNetHeadsDecoder.Decode(Out("centre"), Out("heatmaps"), Out("regress"), Out("offsets"), grid, grid, 17, size, size, prior, boxW, boxH, kps);
                for (int k = 0; k < 17; k++)
                {
                    var (x, y) = crop.ToImage(kps[k].X, kps[k].Y);
                    worst = Math.Max(worst, Math.Max(Math.Abs(x - result[i].Keypoints[k].X), Math.Abs(y - result[i].Keypoints[k].Y)));
                }
            }
            output.WriteLine($"{prior}: {boxes.Count} crops in one frame, max |Δ| {worst:E2} px vs one crop at a time");
            Assert.True(worst <= 0.01, $"{prior}: the estimator's keypoints differ by {worst:E2} px from decoding each crop alone");
        }
    }
}
