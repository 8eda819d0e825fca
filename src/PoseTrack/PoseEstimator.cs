using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Detection;
using PoseTrack.Inference;
using PoseTrack.Models;
using PoseTrack.Pose;

namespace PoseTrack;

/// <summary>Settings for <see cref="PoseEstimator"/>; every member has a working default.</summary>
public sealed record PoseEstimatorOptions
{
    /// <summary>Folder with <c>models.json</c>, used alone; null = the models shipped beside the binary plus the user-installed ones (<see cref="ModelManifest.Load"/>).</summary>
    public string? ModelsDirectory { get; init; }
    /// <summary>Detector name from the manifest or a path to an .onnx file; null = the manifest default.</summary>
    public string? Detector { get; init; }
    /// <summary>Pose model name from the manifest or a path to an .onnx file; null = the manifest default.</summary>
    public string? PoseModel { get; init; }
    /// <summary>Detector post-processing.</summary>
    public DetectorOptions Detection { get; init; } = new();
    /// <summary>Pose model settings (flip test, DARK, batching).</summary>
    public PoseOptions Pose { get; init; } = new();
    /// <summary>Execution provider and threads.</summary>
    public InferenceOptions Inference { get; init; } = new();
    /// <summary>Where log lines go; null = nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}

/// <summary>
/// Multi-person pose estimation on single images: person detector, then the top-down pose model on every box.
/// <code>
/// using var estimator = PoseEstimator.Create();
/// using var image = Cv2.ImRead("people.jpg");
/// foreach (var person in estimator.Estimate(image))
///     Console.WriteLine($"{person.Box} {person.Score:F2} nose at {person.Keypoints[0]}");
/// </code>
/// Not thread-safe: use one instance per thread.
/// </summary>
public sealed class PoseEstimator : IDisposable
{
    private readonly LetterboxDetector _detector;
    private readonly TopDownPoseEstimator _pose;

    /// <summary>The models manifest in use.</summary>
    public ModelManifest Manifest { get; }
    /// <summary>Keypoint layout of the pose model.</summary>
    public Skeleton Skeleton => _pose.Skeleton;
    /// <summary>Detector model name.</summary>
    public string DetectorName => _detector.Name;
    /// <summary>Pose model name.</summary>
    public string PoseModelName => _pose.Name;
    /// <summary>Execution provider the models run on ("cpu", "cuda", "tensorrt").</summary>
    public string Provider => _pose.Provider;
    /// <summary>True when all crops of a frame go through the pose model in one run.</summary>
    public bool BatchedPose => _pose.Batched;

    /// <summary>The person detector this estimator loaded: a pipeline stage (<see cref="Pipeline.PosePipeline"/>).</summary>
    public IPersonDetector Detector => _detector;
    /// <summary>The pose model this estimator loaded: a pipeline stage (<see cref="Pipeline.PosePipeline"/>).</summary>
    public IPoseModel PoseModel => _pose;
    internal LetterboxDetector DetectorInternal => _detector;
    internal TopDownPoseEstimator PoseInternal => _pose;

    private PoseEstimator(ModelManifest manifest, LetterboxDetector detector, TopDownPoseEstimator pose, PoseEstimatorOptions options)
    { Manifest = manifest; _detector = detector; _pose = pose; Options = options; }

    /// <summary>The options this estimator was created with (the JSON lines header records them).</summary>
    internal PoseEstimatorOptions Options { get; }

    /// <summary>Loads the models (checking their sha256) and creates the sessions.</summary>
    public static PoseEstimator Create(PoseEstimatorOptions? options = null)
    {
        options ??= new PoseEstimatorOptions();
        options.Detection.Validate();
        options.Pose.Validate();
        options.Inference.Validate();
        var logger = options.LoggerFactory?.CreateLogger("PoseTrack") ?? NullLogger.Instance;
        var manifest = ModelManifest.Load(options.ModelsDirectory);
        var detEntry = manifest.Resolve(options.Detector ?? manifest.Defaults.Detector, ModelTask.Detector);
        var poseEntry = manifest.Resolve(options.PoseModel ?? manifest.Defaults.Pose, ModelTask.Pose);
        var detector = new LetterboxDetector(manifest, detEntry, options.Detection, options.Inference, logger);
        try
        {
            var pose = new TopDownPoseEstimator(manifest, poseEntry, options.Pose, options.Inference, logger);
            return new PoseEstimator(manifest, detector, pose, options);
        }
        catch
        {
            detector.Dispose();
            throw;
        }
    }

    /// <summary>Detects people in a BGR image.</summary>
    public IReadOnlyList<PersonDetection> Detect(Mat bgrImage) => _detector.Detect(bgrImage);

    /// <summary>Estimates the pose of the person in each given box (e.g. ground-truth or tracked boxes).</summary>
    public IReadOnlyList<Person> EstimateInBoxes(Mat bgrImage, IReadOnlyList<PersonDetection> boxes) => _pose.Estimate(bgrImage, boxes);

    /// <summary>Detects every person in a BGR image and estimates their poses (duplicates removed by pose NMS).</summary>
    public IReadOnlyList<Person> Estimate(Mat bgrImage) =>
        _pose.EstimateDistinct(bgrImage, _detector.Detect(bgrImage));

    /// <inheritdoc />
    public void Dispose()
    {
        _pose.Dispose();
        _detector.Dispose();
    }
}
