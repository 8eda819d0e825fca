using Microsoft.Extensions.Logging;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Inference;
using PoseTrack.Models;

namespace PoseTrack.Pose;

/// <summary>
/// Top-down pose model over person boxes: crop (<see cref="AffineCrop"/>) → one batched run → decode
/// (<see cref="HeatmapDecoder"/> or <see cref="SimccDecoder"/>, picked from the output shapes) → inverse affine.
/// Not thread-safe: one instance per pipeline stage.
/// </summary>
internal sealed class TopDownPoseEstimator : IDisposable
{
    private enum OutputKind { Heatmap, Simcc, MoveNet }

    private readonly OnnxModel _model;
    private readonly ModelEntry _entry;
    private readonly PoseOptions _options;
    private readonly OutputKind _kind;
    private readonly int _inW, _inH, _joints;
    private readonly int _simccXIndex, _simccYIndex;
    private readonly int _maxBatch;
    private readonly List<Mat> _crops = [];
    private float[] _input = [];
    private float[] _scratch = [];
    private Keypoint[] _decoded = [];

    public Skeleton Skeleton { get; }
    public PoseOptions Options => _options;
    public string Name => _entry.Name;
    public string Provider => _model.Provider;
    /// <summary>True when all crops of a frame go through one run.</summary>
    public bool Batched => _maxBatch > 1;
    /// <summary>The session (benchmarks time it directly).</summary>
    internal OnnxModel Model => _model;
    /// <summary>Model input size.</summary>
    internal int InputWidth => _inW;
    /// <summary>Model input size.</summary>
    internal int InputHeight => _inH;

    /// <summary>The packed model input of the crops of <paramref name="boxes"/> (no flip), as <see cref="Estimate"/> prepares it.</summary>
    internal float[] PackCrops(Mat bgrImage, IReadOnlyList<PersonDetection> boxes)
    {
        int item = 3 * _inW * _inH;
        var packed = new float[boxes.Count * item];
        using var mat = new Mat(_inH, _inW, MatType.CV_8UC3);
        for (int i = 0; i < boxes.Count; i++)
        {
            var crop = new AffineCrop(boxes[i].Box, _inW, _inH, _options.Padding);
            using (var m = Mat.FromPixelData(2, 3, MatType.CV_64FC1, crop.Forward()))
                Cv2.WarpAffine(bgrImage, mat, m, new Size(_inW, _inH), InterpolationFlags.Linear, BorderTypes.Constant, Scalar.All(0));
            ImageTensor.ToPlanar(mat, packed.AsSpan(i * item, item), _entry.IsRgb, _entry.Mean, _entry.Std);
        }
        return packed;
    }

    public TopDownPoseEstimator(ModelManifest manifest, ModelEntry entry, PoseOptions options, InferenceOptions inference, ILogger logger)
    {
        _entry = entry; _options = options;
        var bytes = manifest.ReadVerified(entry);
        bytes = PrepareBatching(bytes, entry.Name, options, logger);
        _model = new OnnxModel(bytes, entry.Name, inference.ForPose(), logger);
        _inH = _model.InputDims[2] > 0 ? _model.InputDims[2] : entry.Input.Height;
        _inW = _model.InputDims[3] > 0 ? _model.InputDims[3] : entry.Input.Width;
        _maxBatch = options.Batching == PoseBatching.Loop || !_model.DynamicBatch ? 1 : Math.Max(1, options.MaxBatch);

        var dims = _model.OutputDims;
        if (dims.Count == 1 && dims[0].Length == 4 && dims[0][1] == 1 && dims[0][3] == 3)
        {
            // MoveNet single-pose: keypoints directly, [N,1,K,3] as (y, x, score) normalised to the crop.
            _kind = OutputKind.MoveNet; _joints = dims[0][2];
        }
        else if (dims.Count == 1 && dims[0].Length == 4)
        {
            _kind = OutputKind.Heatmap; _joints = dims[0][1];
        }
        else if (dims.Count == 2 && dims[0].Length == 3 && dims[1].Length == 3 && dims[0][1] == dims[1][1])
        {
            _kind = OutputKind.Simcc; _joints = dims[0][1];
            // simcc_x is the one whose length matches the input width's ratio; by name when the graph names them.
            int xi = _model.OutputNames[0].Contains("y", StringComparison.OrdinalIgnoreCase) && _model.OutputNames[1].Contains("x", StringComparison.OrdinalIgnoreCase) ? 1 : 0;
            _simccXIndex = xi; _simccYIndex = 1 - xi;
        }
        else throw _model.Shape($"a pose model needs one heatmap output [N,K,H,W], two SimCC outputs [N,K,L] or a MoveNet output [N,1,K,3]; found {_model.DescribeOutputs()}");

        Skeleton = Skeleton.ForJointCount(_joints)
            ?? throw _model.Shape($"{_joints} joints is neither COCO-17 nor MPII-16 (outputs {_model.DescribeOutputs()})");
        logger.LogDebug("Pose model {Name}: {Kind} decoder, {Skeleton}, input {W}x{H}, batch {Batch}",
            entry.Name, _kind, Skeleton.Name, _inW, _inH, _maxBatch > 1 ? "dynamic" : "1");
    }

    /// <summary>Makes a fixed batch-1 graph accept any batch, when that is safe; otherwise crops run one by one.</summary>
    private static byte[] PrepareBatching(byte[] bytes, string name, PoseOptions options, ILogger logger)
    {
        if (options.Batching == PoseBatching.Loop) return bytes;
        byte[]? edited;
        string? reason;
        try { edited = OnnxBatchPatcher.TryMakeBatchDynamic(bytes, out reason); }
        catch (PoseTrackException e)
        {
            // The editor only says "Not an ONNX model"; name the model the user asked for.
            throw new PoseTrackException($"model {name} cannot be loaded: {e.Message}", inner: e);
        }
        if (edited is null && reason is not null)
            logger.LogDebug("Pose model {Name} keeps batch 1: {Reason}", name, reason);
        return edited ?? bytes;
    }

    /// <summary>Estimates one pose per box. Boxes are in image pixels; results keep the input order.</summary>
    public Person[] Estimate(Mat bgrImage, IReadOnlyList<PersonDetection> boxes)
    {
        int n = boxes.Count;
        if (n == 0) return [];
        int views = _options.Flip ? 2 : 1;
        int item = 3 * _inW * _inH;
        EnsureCapacity(n * views * item, n);

        var crops = new AffineCrop[n];
        // Warp and pack every crop; crops are independent, so they are prepared in parallel.
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = n > 1 ? Environment.ProcessorCount : 1 }, i =>
        {
            var crop = new AffineCrop(boxes[i].Box, _inW, _inH, _options.Padding);
            crops[i] = crop;
            var mat = _crops[i];
            using (var m = Mat.FromPixelData(2, 3, MatType.CV_64FC1, crop.Forward()))
                Cv2.WarpAffine(bgrImage, mat, m, new Size(_inW, _inH), InterpolationFlags.Linear, BorderTypes.Constant, Scalar.All(0));
            ImageTensor.ToPlanar(mat, _input.AsSpan(i * item, item), _entry.IsRgb, _entry.Mean, _entry.Std);
            if (_options.Flip)
            {
                Cv2.Flip(mat, mat, FlipMode.Y);
                ImageTensor.ToPlanar(mat, _input.AsSpan((n + i) * item, item), _entry.IsRgb, _entry.Mean, _entry.Std);
            }
        });

        var persons = new Person[n];
        int total = n * views;
        // Outputs of the whole frame are gathered into _scratch so flipped views can be merged with their originals.
        int perItemOut = 0;
        for (int start = 0; start < total; start += _maxBatch)
        {
            int count = Math.Min(_maxBatch, total - start);
            using var outputs = _model.Run(_input, start * item, count, _inH, _inW);
            if (_kind is OutputKind.Heatmap or OutputKind.MoveNet)
            {
                var shape = outputs[0].GetTensorTypeAndShape().Shape;
                perItemOut = (int)(shape[1] * shape[2] * shape[3]);
                _heatH = (int)shape[2]; _heatW = (int)shape[3];
                EnsureScratch(total * perItemOut);
                outputs[0].GetTensorDataAsSpan<float>().CopyTo(_scratch.AsSpan(start * perItemOut));
            }
            else
            {
                var sx = outputs[_simccXIndex]; var sy = outputs[_simccYIndex];
                _lenX = (int)sx.GetTensorTypeAndShape().Shape[2]; _lenY = (int)sy.GetTensorTypeAndShape().Shape[2];
                perItemOut = _joints * (_lenX + _lenY);
                EnsureScratch(total * perItemOut);
                var dst = _scratch.AsSpan();
                var xs = sx.GetTensorDataAsSpan<float>(); var ys = sy.GetTensorDataAsSpan<float>();
                for (int b = 0; b < count; b++)
                {
                    int o = (start + b) * perItemOut;
                    xs.Slice(b * _joints * _lenX, _joints * _lenX).CopyTo(dst.Slice(o));
                    ys.Slice(b * _joints * _lenY, _joints * _lenY).CopyTo(dst.Slice(o + _joints * _lenX));
                }
            }
        }

        var kps = _decoded.AsSpan(0, _joints);
        for (int i = 0; i < n; i++)
        {
            var own = _scratch.AsSpan(i * perItemOut, perItemOut);
            if (_kind == OutputKind.Heatmap)
            {
                if (_options.Flip) HeatmapDecoder.MergeFlipped(own, _scratch.AsSpan((n + i) * perItemOut, perItemOut), _joints, _heatH, _heatW, Skeleton);
                HeatmapDecoder.Decode(own, _joints, _heatH, _heatW, _inW, _inH, kps, _options.Dark);
            }
            else if (_kind == OutputKind.MoveNet)
            {
                MoveNetDecoder.Decode(own, _inW, _inH, kps);
                if (_options.Flip) MergeFlippedKeypoints(kps, _scratch.AsSpan((n + i) * perItemOut, perItemOut));
            }
            else
            {
                int xl = _joints * _lenX;
                if (_options.Flip)
                {
                    var f = _scratch.AsSpan((n + i) * perItemOut, perItemOut);
                    SimccDecoder.MergeFlipped(own[..xl], own[xl..], f[..xl], f[xl..], _joints, _lenX, _lenY, Skeleton);
                }
                SimccDecoder.Decode(own[..xl], own[xl..], _joints, _lenX, _lenY, _inW, _inH, kps);
            }
            var points = new Keypoint[_joints];
            for (int k = 0; k < _joints; k++)
            {
                var (x, y) = crops[i].ToImage(kps[k].X, kps[k].Y);
                points[k] = new Keypoint(x, y, kps[k].Score);
            }
            persons[i] = new Person(boxes[i].Box, boxes[i].Score, points, Skeleton);
        }
        return persons;
    }

    private int _heatH, _heatW, _lenX, _lenY;
    private Keypoint[] _flipped = [];

    /// <summary>Flip test for models that output keypoints: mirror the flipped view's x, swap left/right, average.</summary>
    private void MergeFlippedKeypoints(Span<Keypoint> kps, ReadOnlySpan<float> flippedOutput)
    {
        if (_flipped.Length < _joints) _flipped = new Keypoint[_joints];
        MoveNetDecoder.Decode(flippedOutput, _inW, _inH, _flipped);
        for (int k = 0; k < _joints; k++)
        {
            var f = _flipped[Skeleton.FlipIndex(k)];
            kps[k] = new Keypoint(0.5f * (kps[k].X + (_inW - f.X)), 0.5f * (kps[k].Y + f.Y), 0.5f * (kps[k].Score + f.Score));
        }
    }
    private void EnsureCapacity(int inputLength, int crops)
    {
        if (_input.Length < inputLength) _input = new float[inputLength];
        while (_crops.Count < crops) _crops.Add(new Mat(_inH, _inW, MatType.CV_8UC3));
        if (_decoded.Length < _joints) _decoded = new Keypoint[_joints];
    }

    private void EnsureScratch(int length)
    {
        if (_scratch.Length < length) Array.Resize(ref _scratch, length);
    }

    public void Dispose()
    {
        _model.Dispose();
        foreach (var m in _crops) m.Dispose();
    }
}
