using Microsoft.ML.OnnxRuntime;
using PoseTrack.Core;
using PoseTrack.Inference;

namespace PoseTrack.Pose;

/// <summary>
/// The decoding side of a top-down pose model for one output kind (chosen once, at load): owns the output buffers, merges a
/// crop's flipped view and decodes one crop into keypoints in model-input (crop) pixels. Crop preparation, the runs and the
/// inverse affine stay with <see cref="TopDownPoseEstimator"/>. Items are laid out as the estimator packs them: crop i at
/// item i, its mirrored view (with flip) at n + i.
/// </summary>
internal interface IPoseHead
{
    /// <summary>For outputs of fixed size: the buffers, in the model's output order, grown to hold <paramref name="items"/> items of <paramref name="perItem"/> values each.</summary>
    float[][] OutputsFor(int items, int[] perItem);

    /// <summary>For outputs sized at run time: copies the outputs of a run of the items from <paramref name="start"/> into buffers for <paramref name="total"/> items.</summary>
    void CopyOut(IDisposableReadOnlyCollection<OrtValue> outputs, int start, int total);

    /// <summary>Decodes crop <paramref name="i"/> of <paramref name="n"/> (merged with its flipped view when flip is on) into <paramref name="result"/>, in crop pixels.</summary>
    void Decode(int i, int n, AffineCrop crop, BoxF box, Span<Keypoint> result);
}

/// <summary>What every head needs to know about the model and the options.</summary>
internal sealed record PoseHeadContext(int Joints, int InputWidth, int InputHeight, Skeleton Skeleton, PoseOptions Options)
{
    /// <summary>Flip test for models that output keypoints: mirror the flipped view's x, swap left/right, average.</summary>
    public void MergeFlippedKeypoints(Span<Keypoint> kps, ReadOnlySpan<Keypoint> flipped)
    {
        for (int k = 0; k < Joints; k++)
        {
            var f = flipped[Skeleton.FlipIndex(k)];
            kps[k] = new Keypoint(0.5f * (kps[k].X + (InputWidth - f.X)), 0.5f * (kps[k].Y + f.Y), 0.5f * (kps[k].Score + f.Score));
        }
    }

    public static void Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new float[length];
    }
}

/// <summary>One output holding a 4-D tensor per item (heatmaps or MoveNet keypoints), copied or written in place.</summary>
internal abstract class SingleOutputHead(PoseHeadContext ctx) : IPoseHead
{
    protected readonly PoseHeadContext Ctx = ctx;
    protected float[] Out = [];
    private float[][] _outputs = [];
    /// <summary>Dimensions 2 and 3 of the output (heatmap height and width).</summary>
    protected int Dim2, Dim3;

    public float[][] OutputsFor(int items, int[] perItem)
    {
        PoseHeadContext.Grow(ref Out, items * perItem[0]);
        if (_outputs.Length != 1 || _outputs[0] != Out) _outputs = [Out];
        return _outputs;
    }

    public void CopyOut(IDisposableReadOnlyCollection<OrtValue> outputs, int start, int total)
    {
        var shape = outputs[0].GetTensorTypeAndShape().Shape;
        int per = (int)(shape[1] * shape[2] * shape[3]);
        Dim2 = (int)shape[2]; Dim3 = (int)shape[3];
        PoseHeadContext.Grow(ref Out, total * per);
        outputs[0].GetTensorDataAsSpan<float>().CopyTo(Out.AsSpan(start * per));
    }

    public abstract void Decode(int i, int n, AffineCrop crop, BoxF box, Span<Keypoint> result);
}

/// <summary>One heatmap output [N,K,H,W] (<see cref="HeatmapDecoder"/>).</summary>
internal sealed class HeatmapHead : SingleOutputHead
{
    public HeatmapHead(PoseHeadContext ctx, int[] dims, bool fixedSizes) : base(ctx)
    {
        if (fixedSizes) { Dim2 = dims[2]; Dim3 = dims[3]; }
    }

    public override void Decode(int i, int n, AffineCrop crop, BoxF box, Span<Keypoint> result)
    {
        int j = Ctx.Joints, h = Dim2, w = Dim3;
        int per = j * h * w;
        var own = Out.AsSpan(i * per, per);
        if (Ctx.Options.Flip) HeatmapDecoder.MergeFlipped(own, Out.AsSpan((n + i) * per, per), j, h, w, Ctx.Skeleton);
        HeatmapDecoder.Decode(own, j, h, w, Ctx.InputWidth, Ctx.InputHeight, result, Ctx.Options.Dark);
    }
}

/// <summary>MoveNet's keypoint output [N,1,K,3] (<see cref="MoveNetDecoder"/>), decoded by MoveNet's own rule in the graph.</summary>
internal sealed class MoveNetHead(PoseHeadContext ctx) : SingleOutputHead(ctx)
{
    private Keypoint[] _flipped = [];

    public override void Decode(int i, int n, AffineCrop crop, BoxF box, Span<Keypoint> result)
    {
        int per = Ctx.Joints * MoveNetDecoder.ValuesPerKeypoint;
        MoveNetDecoder.Decode(Out.AsSpan(i * per, per), Ctx.InputWidth, Ctx.InputHeight, result);
        if (Ctx.Options.Flip)
        {
            if (_flipped.Length < Ctx.Joints) _flipped = new Keypoint[Ctx.Joints];
            MoveNetDecoder.Decode(Out.AsSpan((n + i) * per, per), Ctx.InputWidth, Ctx.InputHeight, _flipped);
            Ctx.MergeFlippedKeypoints(result, _flipped);
        }
    }
}

/// <summary>Two SimCC outputs [N,K,Lx] and [N,K,Ly] (<see cref="SimccDecoder"/>).</summary>
internal sealed class SimccHead : IPoseHead
{
    private readonly PoseHeadContext _ctx;
    private readonly int _xIndex, _yIndex;
    private int _lenX, _lenY;
    private float[] _outX = [], _outY = [];
    private float[][] _outputs = [];

    public SimccHead(PoseHeadContext ctx, IReadOnlyList<string> names, IReadOnlyList<int[]> dims, bool fixedSizes)
    {
        _ctx = ctx;
        // Which output is x: by name when the graph says (simcc_x / simcc_y, either order); otherwise mmdeploy's order, x first.
        _xIndex = names[0].Contains("y", StringComparison.OrdinalIgnoreCase) && names[1].Contains("x", StringComparison.OrdinalIgnoreCase) ? 1 : 0;
        _yIndex = 1 - _xIndex;
        if (fixedSizes) { _lenX = dims[_xIndex][2]; _lenY = dims[_yIndex][2]; }
    }

    public float[][] OutputsFor(int items, int[] perItem)
    {
        PoseHeadContext.Grow(ref _outX, items * perItem[_xIndex]);
        PoseHeadContext.Grow(ref _outY, items * perItem[_yIndex]);
        if (_outputs.Length != 2 || _outputs[_xIndex] != _outX || _outputs[_yIndex] != _outY)
            _outputs = _xIndex == 0 ? [_outX, _outY] : [_outY, _outX];
        return _outputs;
    }

    public void CopyOut(IDisposableReadOnlyCollection<OrtValue> outputs, int start, int total)
    {
        int j = _ctx.Joints;
        var sx = outputs[_xIndex]; var sy = outputs[_yIndex];
        _lenX = (int)sx.GetTensorTypeAndShape().Shape[2]; _lenY = (int)sy.GetTensorTypeAndShape().Shape[2];
        PoseHeadContext.Grow(ref _outX, total * j * _lenX);
        PoseHeadContext.Grow(ref _outY, total * j * _lenY);
        sx.GetTensorDataAsSpan<float>().CopyTo(_outX.AsSpan(start * j * _lenX));
        sy.GetTensorDataAsSpan<float>().CopyTo(_outY.AsSpan(start * j * _lenY));
    }

    public void Decode(int i, int n, AffineCrop crop, BoxF box, Span<Keypoint> result)
    {
        int j = _ctx.Joints;
        int xl = j * _lenX, yl = j * _lenY;
        var ox = _outX.AsSpan(i * xl, xl);
        var oy = _outY.AsSpan(i * yl, yl);
        if (_ctx.Options.Flip)
            SimccDecoder.MergeFlipped(ox, oy, _outX.AsSpan((n + i) * xl, xl), _outY.AsSpan((n + i) * yl, yl), j, _lenX, _lenY, _ctx.Skeleton);
        SimccDecoder.Decode(ox, oy, j, _lenX, _lenY, _ctx.InputWidth, _ctx.InputHeight, result);
    }
}

/// <summary>
/// MoveNet imported with its heads exposed (<c>TfjsImportOptions.MoveNetHeads</c>), decoded by our own centre prior
/// (<see cref="MoveNetHeadsDecoder"/>): every output is fetched, in place (fixed sizes only).
/// </summary>
internal sealed class MoveNetHeadsHead : IPoseHead
{
    private readonly PoseHeadContext _ctx;
    private readonly int _heatOut, _centreOut, _regressOut, _offsetOut, _gridH, _gridW;
    private readonly float[][] _outs;
    private Keypoint[] _flipped = [];

    public MoveNetHeadsHead(PoseHeadContext ctx, OnnxModel model)
    {
        _ctx = ctx;
        var names = model.OutputNames; var dims = model.OutputDims;
        _heatOut = PoseOutputClassifier.IndexOf(names, "heatmaps");
        _centreOut = PoseOutputClassifier.IndexOf(names, "centre");
        _regressOut = PoseOutputClassifier.IndexOf(names, "regress");
        _offsetOut = PoseOutputClassifier.IndexOf(names, "offsets");
        int j = ctx.Joints;
        _gridH = dims[_heatOut][1]; _gridW = dims[_heatOut][2];
        if (dims[_heatOut][3] != j || dims[_regressOut][3] != 2 * j || dims[_offsetOut][3] != 2 * j || dims[_centreOut][3] != 1)
            throw model.Shape($"MoveNet heads do not agree with {j} joints: {model.DescribeOutputs()}");
        _outs = new float[names.Count][];
        for (int o = 0; o < _outs.Length; o++) _outs[o] = [];
    }

    public float[][] OutputsFor(int items, int[] perItem)
    {
        for (int o = 0; o < _outs.Length; o++) PoseHeadContext.Grow(ref _outs[o], items * perItem[o]);
        return _outs;
    }

    public void CopyOut(IDisposableReadOnlyCollection<OrtValue> outputs, int start, int total) =>
        throw new InvalidOperationException("MoveNet heads are only run with fixed output sizes");

    public void Decode(int i, int n, AffineCrop crop, BoxF box, Span<Keypoint> result)
    {
        DecodeOne(i, crop, box, result);
        if (_ctx.Options.Flip)
        {
            if (_flipped.Length < _ctx.Joints) _flipped = new Keypoint[_ctx.Joints];
            DecodeOne(n + i, crop, box, _flipped);   // the mirrored crop has the same box
            _ctx.MergeFlippedKeypoints(result, _flipped);
        }
    }

    /// <summary>Decodes item <paramref name="item"/>'s heads with the configured centre prior (crop pixels).</summary>
    private void DecodeOne(int item, AffineCrop crop, BoxF box, Span<Keypoint> result)
    {
        int cells = _gridH * _gridW, j = _ctx.Joints;
        float[][] o = _outs;
        // The person box in grid cells (the crop is the box padded to the input's aspect ratio, then enlarged).
        float boxW = box.Width * _gridW / crop.RegionWidth, boxH = box.Height * _gridH / crop.RegionHeight;
        MoveNetHeadsDecoder.Decode(
            o[_centreOut].AsSpan(item * cells, cells),
            o[_heatOut].AsSpan(item * cells * j, cells * j),
            o[_regressOut].AsSpan(item * cells * 2 * j, cells * 2 * j),
            o[_offsetOut].AsSpan(item * cells * 2 * j, cells * 2 * j),
            _gridH, _gridW, j, _ctx.InputWidth, _ctx.InputHeight, _ctx.Options.CentrePrior, boxW, boxH, result);
    }
}
