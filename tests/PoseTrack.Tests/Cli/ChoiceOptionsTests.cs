using System.CommandLine;
using PoseTrack.Cli;
using PoseTrack.Inference;
using PoseTrack.Pipeline;
using PoseTrack.Pose;
using PoseTrack.Tracking;

namespace PoseTrack.Tests.Cli;

/// <summary>
/// The word-valued options (--tracker, --smooth, --device, …) are typed by the library's enums (or bool): every
/// spelling users typed before still parses to the same value, and a bad word is one parse error naming the option
/// and the words it takes.
/// </summary>
public sealed class ChoiceOptionsTests
{
    private static (RootCommand Root, PipelineArgs Pipeline, ModelArgs Models) Command()
    {
        var root = new RootCommand();
        var pipeline = new PipelineArgs();
        var models = new ModelArgs();
        pipeline.AddTo(root);
        models.AddTo(root);
        return (root, pipeline, models);
    }

    private static T Parsed<T>(Func<(PipelineArgs P, ModelArgs M), Option<T>> option, params string[] args)
    {
        var (root, p, m) = Command();
        var r = root.Parse(args);
        Assert.Empty(r.Errors);
        return r.GetValue(option((p, m)))!;
    }

    [Theory]
    [InlineData("oks", TrackerKind.Oks)]
    [InlineData("iou", TrackerKind.Iou)]
    [InlineData("IOU", TrackerKind.Iou)]
    [InlineData("Oks", TrackerKind.Oks)]
    public void Tracker_OldSpellings(string word, TrackerKind expected) =>
        Assert.Equal(expected, Parsed(a => a.P.Tracker, "--tracker", word));

    [Theory]
    [InlineData("on", true)]
    [InlineData("off", false)]
    [InlineData("ON", true)]
    [InlineData("Off", false)]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData("yes", true)]
    [InlineData("no", false)]
    public void OnOff_OldSpellings(string word, bool expected)
    {
        var s = expected ? Switch.On : Switch.Off;
        Assert.Equal(s, Parsed(a => a.P.Smooth, "--smooth", word));
        Assert.Equal(s, Parsed(a => a.P.PredictMotion, "--predict-motion", word));
        Assert.Equal(s, Parsed(a => a.P.IouStage, "--iou-second-stage", word));
    }

    [Theory]
    [InlineData("auto", DropFramesMode.Auto)]
    [InlineData("on", DropFramesMode.On)]
    [InlineData("OFF", DropFramesMode.Off)]
    public void DropFrames_OldSpellings(string word, DropFramesMode expected) =>
        Assert.Equal(expected, Parsed(a => a.P.DropFrames, "--drop-frames", word));

    [Theory]
    [InlineData("auto", ExecutionDevice.Auto)]
    [InlineData("cpu", ExecutionDevice.Cpu)]
    [InlineData("CUDA", ExecutionDevice.Cuda)]
    [InlineData("gpu", ExecutionDevice.Cuda)]
    [InlineData("tensorrt", ExecutionDevice.TensorRt)]
    [InlineData("trt", ExecutionDevice.TensorRt)]
    public void Device_OldSpellings(string word, ExecutionDevice expected) =>
        Assert.Equal(expected, Parsed(a => a.M.Device, "--device", word));

    [Theory]
    [InlineData("model", MoveNetCentrePrior.Model)]
    [InlineData("box", MoveNetCentrePrior.Box)]
    [InlineData("joints-in-box", MoveNetCentrePrior.JointsInBox)]
    [InlineData("Joints-In-Box", MoveNetCentrePrior.JointsInBox)]
    public void CentrePrior_OldSpellings(string word, MoveNetCentrePrior expected) =>
        Assert.Equal(expected, Parsed(a => a.M.CentrePrior, "--centre-prior", word));

    [Theory]
    [InlineData("auto", PoseBatching.Auto)]
    [InlineData("loop", PoseBatching.Loop)]
    public void PoseBatching_OldSpellings(string word, PoseBatching expected) =>
        Assert.Equal(expected, Parsed(a => a.M.Batching, "--pose-batching", word));

    [Theory]
    [InlineData("power-of-two", GpuArenaExtend.NextPowerOfTwo)]
    [InlineData("exact", GpuArenaExtend.SameAsRequested)]
    public void GpuArena_OldSpellings(string word, GpuArenaExtend expected) =>
        Assert.Equal(expected, Parsed(a => a.M.GpuArena, "--gpu-arena", word));

    [Fact]
    public void Defaults_AreTheLibrarys()
    {
        var (root, p, m) = Command();
        var r = root.Parse([]);
        Assert.Equal(new PipelineOptions().Tracker, r.GetValue(p.Tracker));
        Assert.Equal(new PipelineOptions().DropFrames, r.GetValue(p.DropFrames));
        Assert.Equal(new TrackerOptions().Smooth, r.IsOn(p.Smooth));
        Assert.Equal(new TrackerOptions().PredictMotion, r.IsOn(p.PredictMotion));
        Assert.Equal(new TrackerOptions().IouSecondStage, r.IsOn(p.IouStage));
        Assert.Equal(new InferenceOptions().Device, r.GetValue(m.Device));
        Assert.Equal(new PoseOptions().CentrePrior, r.GetValue(m.CentrePrior));
        Assert.Equal(new PoseOptions().Batching, r.GetValue(m.Batching));
        Assert.Equal(new global::PoseTrack.Detection.DetectorOptions().ScoreThreshold, r.GetValue(m.DetThreshold));
        Assert.Equal(new global::PoseTrack.Detection.DetectorOptions().MinBoxSize, r.GetValue(m.MinBox));
    }

    [Theory]
    [InlineData(new string[0], 0, 1, 0.3f, 1)]
    [InlineData(new[] { "--preset", "crowd" }, 0, 2, 0.3f, 1)]
    [InlineData(new[] { "--preset", "fast" }, 0, 1, 0.3f, 2)]
    [InlineData(new[] { "--preset", "crowd", "--det-threshold", "0.4", "--det-size", "512x384", "--det-tiles", "1x1" }, 512, 1, 0.4f, 1)]
    [InlineData(new[] { "--preset", "fast", "--det-every", "1", "--det-tiles", "2x3" }, 0, 2, 0.3f, 1)]
    public void Presets_SetDefaults_AndFlagsGivenWin(string[] args, int detWidth, int tileRows, float threshold, int detectEvery)
    {
        var (root, p, m) = Command();
        var r = root.Parse(args);
        Assert.Empty(r.Errors);
        var options = m.Build(r, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        Assert.Equal(detWidth, options.Detection.InputWidth);
        Assert.Equal(tileRows, options.Detection.TileRows);
        Assert.Equal(threshold, options.Detection.ScoreThreshold);
        Assert.Equal(detectEvery, p.Build(r, overlay: false).DetectEvery);
    }

    [Theory]
    [InlineData("--tracker", "magic", "--tracker: 'magic' is not one of oks, iou")]
    [InlineData("--smooth", "maybe", "--smooth: 'maybe' is not one of on, off")]
    [InlineData("--predict-motion", "", "--predict-motion: '' is not one of on, off")]
    [InlineData("--iou-second-stage", "2", "--iou-second-stage: '2' is not one of on, off")]
    [InlineData("--drop-frames", "sometimes", "--drop-frames: 'sometimes' is not one of auto, on, off")]
    [InlineData("--device", "quantum", "--device: 'quantum' is not one of auto, cpu, cuda, tensorrt")]
    [InlineData("--centre-prior", "sideways", "--centre-prior: 'sideways' is not one of model, box, joints-in-box")]
    [InlineData("--pose-batching", "sometimes", "--pose-batching: 'sometimes' is not one of auto, loop")]
    [InlineData("--gpu-arena", "big", "--gpu-arena: 'big' is not one of power-of-two, exact")]
    public void BadWord_IsOneParseError_NamingTheOptionAndTheWords(string option, string value, string message)
    {
        var (root, _, _) = Command();
        var r = root.Parse([option, value]);
        var error = Assert.Single(r.Errors);
        Assert.Equal(message, ParseErrors.Describe(error.Message));
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void BadWord_FromTheRealCommand_IsOneLine_Exit2()
    {
        var dir = TestData.TempDir();
        var r = CliProcess.Run(dir, "--input", TestData.Shared("data", "video", "mmpose_demo.mp4"), "--tracker", "magic", "--json", "o.jsonl");
        Assert.Equal(2, r.ExitCode);
        var lines = r.Stderr.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
        Assert.Equal("posetrack: error: --tracker: 'magic' is not one of oks, iou", lines[0]);
        Assert.True(lines.Count == 1 || lines[1].StartsWith("Run 'posetrack --help'", StringComparison.Ordinal), r.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "o.jsonl")));
    }
}
