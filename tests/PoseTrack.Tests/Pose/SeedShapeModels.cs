using PoseTrack.ModelImport;

namespace PoseTrack.Tests.Pose;

/// <summary>
/// Small ONNX graphs shaped like the seed papers' networks, written with the project's own ONNX writer
/// (<see cref="OnnxGraphBuilder"/>): a Stacked-Hourglass-shaped pose model (256×256 in, [N,16,64,64] out, MPII-16), an
/// HRNet-shaped one (256×192 in, [N,17,64,48] out, COCO-17), and a detector whose one box is known.
/// The pose graphs are a random-weight stride-4 convolution (the seeds' quarter-resolution output) scaled far below the
/// planted maps and added to them: every crop's heatmaps therefore peak where the test planted them, with neighbours
/// that make the quarter-pixel offset go a known way, and the decoded keypoint is predictable in image pixels.
/// </summary>
internal static class SeedShapeModels
{
    /// <summary>The planted peak's value (the keypoint score the decoder reports).</summary>
    public const float PeakValue = 0.9f;
    // The random trunk's weight on the maps: far below the planted differences (0.3 between neighbours), so the argmax
    // and the quarter-offset direction are the planted ones whatever the image holds, yet the graph still reads its input.
    private const float TrunkScale = 1e-6f;

    /// <summary>
    /// Where joint <paramref name="k"/>'s peak is planted in a <paramref name="w"/>×<paramref name="h"/> heatmap: spread
    /// over the middle 30 % of the width and 15–85 % of the height, inside the person box of a tall person's crop (the
    /// tracker starts tracks only for poses that are plausible in their box).
    /// </summary>
    public static (int X, int Y) PeakOf(int k, int w, int h) => (w * 35 / 100 + (k * 3) % (w * 30 / 100), h * 15 / 100 + (k * 7) % (h * 70 / 100));

    /// <summary>
    /// The decoded position of joint <paramref name="k"/> in model-input pixels: the planted argmax moved a quarter pixel
    /// toward the higher neighbour (planted on the right and below), times input/heatmap.
    /// </summary>
    public static (float X, float Y) DecodedInInput(int k, int w, int h, int inW, int inH)
    {
        var (px, py) = PeakOf(k, w, h);
        return ((px + 0.25f) * inW / w, (py + 0.25f) * inH / h);
    }

    /// <summary>The Hourglass-shaped model: input [1,3,256,256] (a fixed batch, as exported), output [1,16,64,64].</summary>
    public static byte[] Hourglass() => Pose(joints: 16, inW: 256, inH: 256, batch: "1", seed: 16);

    /// <summary>The HRNet-shaped model: input [batch,3,256,192] (a dynamic batch), output [batch,17,64,48].</summary>
    public static byte[] HrNet() => Pose(joints: 17, inW: 192, inH: 256, batch: "batch", seed: 17);

    private static byte[] Pose(int joints, int inW, int inH, string batch, int seed)
    {
        int w = inW / 4, h = inH / 4;
        var g = new OnnxGraphBuilder();
        g.Reserve("input");
        g.AddInput(new OnnxIo("input", ElemType.Float, [batch, "3", inH.ToString(), inW.ToString()]));
        var rng = new Random(seed);
        var weights = new float[joints * 3 * 4 * 4];
        for (int i = 0; i < weights.Length; i++) weights[i] = (float)(rng.NextDouble() * 2 - 1);
        var kernel = g.AddInitializer("trunk_w", ConstTensor.FromFloats([joints, 3, 4, 4], weights), ElemType.Float);
        var trunk = g.Add("Conv", "trunk", ["input", kernel], OnnxAttr.IntList("kernel_shape", 4, 4), OnnxAttr.IntList("strides", 4, 4));
        var scale = g.AddInitializer("trunk_scale", ConstTensor.FromFloats([1], [TrunkScale]), ElemType.Float);
        var small = g.Add("Mul", "trunk_small", [trunk, scale]);
        var planted = g.AddInitializer("planted", ConstTensor.FromFloats([1, joints, h, w], PlantedMaps(joints, w, h)), ElemType.Float);
        g.Reserve("heatmaps");
        g.AddWithOutputs("Add", ["heatmaps"], [small, planted]);
        g.AddOutput(new OnnxIo("heatmaps", ElemType.Float, [batch, joints.ToString(), h.ToString(), w.ToString()]));
        return g.Serialize("seed_shape", "posetrack-tests", "1", "");
    }

    /// <summary>Per joint: 0 everywhere, <see cref="PeakValue"/> at the peak, 0.6 right of and below it, 0.3 left of and above it.</summary>
    private static float[] PlantedMaps(int joints, int w, int h)
    {
        var maps = new float[joints * w * h];
        for (int k = 0; k < joints; k++)
        {
            var (px, py) = PeakOf(k, w, h);
            int o = k * w * h;
            maps[o + py * w + px] = PeakValue;
            maps[o + py * w + px + 1] = 0.6f;
            maps[o + (py + 1) * w + px] = 0.6f;
            maps[o + py * w + px - 1] = 0.3f;
            maps[o + (py - 1) * w + px] = 0.3f;
        }
        return maps;
    }

    /// <summary>
    /// A detector shaped like the mmdeploy exports (input [1,3,320,320], output dets [1,1,5]) that finds one person at
    /// <paramref name="box"/> (x1,y1,x2,y2 in letterboxed pixels) with score <paramref name="score"/> in every image.
    /// </summary>
    public static byte[] OneBoxDetector(float[] box, float score)
    {
        var g = new OnnxGraphBuilder();
        g.Reserve("input");
        g.AddInput(new OnnxIo("input", ElemType.Float, ["1", "3", "320", "320"]));
        // The box depends on the input only through a zero factor: the graph reads the image yet always says the same.
        var mean = g.Add("ReduceMean", "mean", ["input"], OnnxAttr.IntList("axes", 1, 2, 3), OnnxAttr.Int("keepdims", 1));
        var zero = g.AddInitializer("zero", ConstTensor.FromFloats([1], [0f]), ElemType.Float);
        var none = g.Add("Mul", "none", [mean, zero]);
        var shape = g.Int64s("shape", 1, 1, 1);
        var flat = g.Add("Reshape", "flat", [none, shape]);
        var dets = g.AddInitializer("box", ConstTensor.FromFloats([1, 1, 5], [.. box, score]), ElemType.Float);
        g.Reserve("dets");
        g.AddWithOutputs("Add", ["dets"], [flat, dets]);
        g.AddOutput(new OnnxIo("dets", ElemType.Float, ["1", "1", "5"]));
        return g.Serialize("one_box_detector", "posetrack-tests", "1", "");
    }
}
