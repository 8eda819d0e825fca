using Microsoft.Extensions.Logging.Abstractions;
using PoseTrack.Core;
using PoseTrack.Inference;
using PoseTrack.Models;
using PoseTrack.Pose;
using Xunit;

namespace PoseTrack.Tests.Pose;

public class PoseOutputClassifierTests
{
    private static PoseOutputClass Classify(string[] names, params int[]?[] shapes) => PoseOutputClassifier.Classify(names, shapes);

    [Fact]
    public void EachKind_IsRecognised_WithItsKeypointCount()
    {
        Assert.Equal(new PoseOutputClass(PoseOutputKind.MoveNet, 17), Classify(["out"], [1, 1, 17, 3]));
        Assert.Equal(new PoseOutputClass(PoseOutputKind.Heatmap, 17), Classify(["heat"], [-1, 17, 64, 48]));
        Assert.Equal(new PoseOutputClass(PoseOutputKind.Simcc, 16), Classify(["simcc_x", "simcc_y"], [-1, 16, 384], [-1, 16, 512]));
        var heads = Classify(["kp", "heatmaps", "centre", "regress", "offsets"], [1, 1, 17, 3], [1, 48, 48, 17], [1, 48, 48, 1], [1, 48, 48, 34], [1, 48, 48, 34]);
        Assert.Equal(new PoseOutputClass(PoseOutputKind.MoveNetHeads, 17), heads);
        Assert.Equal("movenet", heads.Decoder);
    }

    [Theory]
    [InlineData(new[] { 1, 1700 })]          // flat
    [InlineData(new[] { -1, -1, 64, 48 })]   // unknown keypoint count
    [InlineData(new[] { 1, 17, 64, 3 })]     // a last dimension of 3 is not a heatmap width
    public void OtherShapes_AreAClearError_NamingThem(int[] shape)
    {
        var e = Assert.Throws<PoseTrackException>(() => Classify(["o"], shape));
        Assert.Contains("cannot choose a decoder", e.Message);
        Assert.Contains("o [", e.Message);
    }

    [Fact]
    public void SimccWithDifferentKeypointCounts_OrAnUndeclaredShape_IsAnError()
    {
        Assert.Throws<PoseTrackException>(() => Classify(["x", "y"], [1, 17, 384], [1, 16, 512]));
        Assert.Contains("no declared shape", Assert.Throws<PoseTrackException>(() => Classify(["o"], [null])).Message);
    }

    [Fact]
    public void TheInstaller_UsesTheSameRule()
    {
        static OnnxTensorInfo T(string name, params long?[] dims) => new(name, 1, dims.Select(d => new OnnxDim(d, d is null ? "N" : null)).ToList());
        Assert.Equal(("heatmap", 17), PoseTrack.Models.ModelInstaller.ClassifyPoseOutputs([T("heat", null, 17, 64, 48)]));
        Assert.Equal(("simcc", 17), PoseTrack.Models.ModelInstaller.ClassifyPoseOutputs([T("simcc_x", null, 17, 384), T("simcc_y", null, 17, 512)]));
        Assert.Equal(("movenet", 17), PoseTrack.Models.ModelInstaller.ClassifyPoseOutputs([T("out", 1, 1, 17, 3)]));
    }

    [Fact]
    public void AManifestDecoderThatDisagreesWithTheOutputs_FailsTheLoad()
    {
        var manifest = ModelManifest.Load(TestData.ModelsDir);
        var entry = manifest.Resolve("simplepose-nano", ModelTask.Pose);
        Assert.Equal("heatmap", entry.Decoder);
        var e = Assert.Throws<PoseTrackException>(() =>
            new TopDownPoseEstimator(manifest, entry with { Decoder = "simcc" }, new PoseOptions(), new InferenceOptions(), NullLogger.Instance).Dispose());
        Assert.Contains("'simcc'", e.Message);
        Assert.Contains("heatmap", e.Message);
    }
}
