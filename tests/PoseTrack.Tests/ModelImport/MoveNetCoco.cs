using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Inference;
using PoseTrack.Pose;

namespace PoseTrack.Tests.ModelImport;

/// <summary>One annotated COCO person of ../shared/data/coco/test_coco.json.</summary>
internal sealed record CocoPerson(long Id, string ImagePath, BoxF Box, float Area, Keypoint[] Keypoints);

/// <summary>
/// The shipped MoveNet models as PoseTrack will run them: the project's top-down crop (<see cref="AffineCrop"/>,
/// bilinear warp, black border), planar RGB 0..255 in, <see cref="MoveNetDecoder"/> and the inverse affine out.
/// </summary>
internal static class MoveNetCoco
{
    public static readonly (string Name, string File, int Size)[] Models =
    [
        ("movenet-lightning", "movenet_singlepose_lightning_192.onnx", 192),
        ("movenet-thunder", "movenet_singlepose_thunder_256.onnx", 256),
    ];

    public static (string Name, string File, int Size) Model(string name) => Models.Single(m => m.Name == name);

    /// <summary>Persons with at least one labelled keypoint.</summary>
    public static List<CocoPerson> LoadPersons()
    {
        var path = TestData.Shared("data", "coco", "test_coco.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var images = doc.RootElement.GetProperty("images").EnumerateArray()
            .ToDictionary(i => i.GetProperty("id").GetInt64(), i => Path.Combine(Path.GetDirectoryName(path)!, i.GetProperty("file_name").GetString()!));
        var persons = new List<CocoPerson>();
        foreach (var a in doc.RootElement.GetProperty("annotations").EnumerateArray())
        {
            if (a.GetProperty("num_keypoints").GetInt32() == 0) continue;
            var b = a.GetProperty("bbox").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            var k = a.GetProperty("keypoints").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            persons.Add(new CocoPerson(a.GetProperty("id").GetInt64(), images[a.GetProperty("image_id").GetInt64()],
                new BoxF(b[0], b[1], b[2], b[3]), a.GetProperty("area").GetSingle(),
                Enumerable.Range(0, 17).Select(j => new Keypoint(k[3 * j], k[3 * j + 1], k[3 * j + 2])).ToArray()));
        }
        return persons;
    }

    /// <summary>The crop exactly as TopDownPoseEstimator makes it (BGR, size×size).</summary>
    public static Mat Crop(Mat bgr, BoxF box, int size, out AffineCrop crop)
    {
        crop = new AffineCrop(box, size, size);
        var dst = new Mat(size, size, MatType.CV_8UC3);
        using var m = Mat.FromPixelData(2, 3, MatType.CV_64FC1, crop.Forward());
        Cv2.WarpAffine(bgr, dst, m, new Size(size, size), InterpolationFlags.Linear, BorderTypes.Constant, Scalar.All(0));
        return dst;
    }

    /// <summary>Planar RGB floats 0..255 (mean 0, std 1), as the manifest entry asks.</summary>
    public static float[] ToInput(Mat bgrCrop)
    {
        var input = new float[3 * bgrCrop.Rows * bgrCrop.Cols];
        ImageTensor.ToPlanar(bgrCrop, input, rgb: true, [0f, 0f, 0f], [1f, 1f, 1f]);
        return input;
    }

    /// <summary>Runs one crop; returns the raw [1,1,17,3] output.</summary>
    public static float[] Run(InferenceSession session, float[] input, int size)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, size, size]);
        using var runOptions = new RunOptions();
        using var outs = session.Run(runOptions, [session.InputNames[0]], [value], [session.OutputNames[0]]);
        return outs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public sealed record OksResult(double MeanOks, IReadOnlyList<float> PerPerson, double MedianLatencyMs);

    /// <summary>Mean OKS over the GT persons (GT boxes, GT visible joints, GT area) and the median single-crop run time.</summary>
    public static OksResult Evaluate(byte[] model, int size, int timedRuns = 5)
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        var oks = new List<float>();
        var times = new List<double>();
        var kps = new Keypoint[17];
        foreach (var p in LoadPersons())
        {
            using var img = Cv2.ImRead(p.ImagePath);
            using var cropMat = Crop(img, p.Box, size, out var crop);
            var input = ToInput(cropMat);
            var output = Run(session, input, size);
            for (int i = 0; i < timedRuns; i++)
            {
                var sw = Stopwatch.StartNew();
                Run(session, input, size);
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            MoveNetDecoder.Decode(output, size, size, kps);
            var pred = kps.Select(k => { var (x, y) = crop.ToImage(k.X, k.Y); return new Keypoint(x, y, k.Score); }).ToArray();
            oks.Add(Oks.Compute(pred, p.Keypoints, p.Area, Skeleton.Coco17.Sigmas, float.NegativeInfinity, 0.5f));
        }
        times.Sort();
        return new OksResult(oks.Average(), oks, times[times.Count / 2]);
    }
}
