using Microsoft.Extensions.Logging;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Inference;
using PoseTrack.Models;

namespace PoseTrack.Pose;

/// <summary>
/// Top-down pose model over person boxes: crop (<see cref="AffineCrop"/>) → run (crops side by side on CPU, batched on a GPU) → decode
/// (<see cref="HeatmapDecoder"/> or <see cref="SimccDecoder"/>, picked from the output shapes) → inverse affine.
/// Not thread-safe: one instance per pipeline stage.
/// </summary>
internal sealed class TopDownPoseEstimator : IPoseModel
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
    private readonly int _parallelRuns;
    private readonly bool _parallelPrep;
    private readonly int[]? _outPerItem;   // per-item output sizes when fixed: outputs are written in place
    private float[] _input = [];
    private float[] _out0 = [], _outX = [], _outY = [];   // heatmaps or MoveNet keypoints; or SimCC x and y
    // MoveNet imported with its heads exposed: every output's buffer in the model's output order, and where each head is.
    private readonly float[][]? _moveNetOuts;
    private readonly int _kpOut, _heatOut, _centreOut, _regressOut, _offsetOut, _gridH, _gridW;

    public Skeleton Skeleton { get; }
    public PoseOptions Options => _options;
    public string Name => _entry.Name;
    public string Provider => _model.Provider;
    /// <summary>True when all crops of a frame go through one run.</summary>
    public bool Batched => _maxBatch > 1 && _parallelRuns <= 1;
    /// <summary>True when the graph takes batches of crops (the batch dimension is, or was made, dynamic).</summary>
    internal bool AcceptsBatches => _maxBatch > 1;
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
        for (int i = 0; i < boxes.Count; i++) WarpAndPack(bgrImage, boxes[i].Box, mat, packed.AsSpan(i * item, item));
        return packed;
    }

    public TopDownPoseEstimator(ModelManifest manifest, ModelEntry entry, PoseOptions options, InferenceOptions inference, ILogger logger)
    {
        _entry = entry; _options = options;
        var bytes = manifest.ReadVerified(entry);
        bytes = PrepareBatching(bytes, entry.Name, options, logger);
        // A TensorRT engine of a dynamic-batch model is built for the batches this stage runs.
        _model = new OnnxModel(bytes, entry.Name, inference.ForPose() with { TensorRtMaxBatch = Math.Max(1, options.MaxBatch) }, logger);
        // A failed check below must not leak the session (native, possibly GPU, memory) to a caller who retries.
        try
        {
            _inH = _model.InputDims[2] > 0 ? _model.InputDims[2] : entry.Input.Height;
            _inW = _model.InputDims[3] > 0 ? _model.InputDims[3] : entry.Input.Width;
            _maxBatch = options.Batching == PoseBatching.Loop || !_model.DynamicBatch ? 1 : Math.Max(1, options.MaxBatch);

            var dims = _model.OutputDims;
            static bool IsMoveNetKeypoints(int[] d) => d.Length == 4 && d[1] == 1 && d[3] == 3;
            if (dims.Count == 1 && IsMoveNetKeypoints(dims[0]))
            {
                // MoveNet single-pose: keypoints directly, [N,1,K,3] as (y, x, score) normalised to the crop.
                _kind = OutputKind.MoveNet; _joints = dims[0][2];
            }
            else if (dims.Count == 5 && FindMoveNetHeads(out _kpOut, out _heatOut, out _centreOut, out _regressOut, out _offsetOut))
            {
                // MoveNet with its heads exposed (TfjsImportOptions.MoveNetHeads): the keypoint output as above, plus the
                // maps our own centre prior decodes.
                _kind = OutputKind.MoveNet; _joints = dims[_kpOut][2];
                if (options.CentrePrior == MoveNetCentrePrior.Model)
                {
                    // MoveNet's own rule is what the graph's keypoint output already holds: the maps are not fetched.
                    _model.KeepOnlyOutputs(_kpOut);
                    dims = _model.OutputDims;
                }
                else
                {
                    _gridH = dims[_heatOut][1]; _gridW = dims[_heatOut][2];
                    if (dims[_heatOut][3] != _joints || dims[_regressOut][3] != 2 * _joints || dims[_offsetOut][3] != 2 * _joints || dims[_centreOut][3] != 1)
                        throw _model.Shape($"MoveNet heads do not agree with {_joints} joints: {_model.DescribeOutputs()}");
                    _moveNetOuts = new float[5][];
                    for (int o = 0; o < 5; o++) _moveNetOuts[o] = [];
                }
            }
            else if (dims.Count == 1 && dims[0].Length == 4)
            {
                _kind = OutputKind.Heatmap; _joints = dims[0][1];
            }
            else if (dims.Count == 2 && dims[0].Length == 3 && dims[1].Length == 3 && dims[0][1] == dims[1][1])
            {
                _kind = OutputKind.Simcc; _joints = dims[0][1];
                // Which output is x: by name when the graph says (simcc_x / simcc_y, either order); otherwise mmdeploy's order, x first.
                int xi = _model.OutputNames[0].Contains("y", StringComparison.OrdinalIgnoreCase) && _model.OutputNames[1].Contains("x", StringComparison.OrdinalIgnoreCase) ? 1 : 0;
                _simccXIndex = xi; _simccYIndex = 1 - xi;
            }
            else throw _model.Shape($"a pose model needs one heatmap output [N,K,H,W], two SimCC outputs [N,K,L] or a MoveNet output [N,1,K,3]; found {_model.DescribeOutputs()}");
            bool fixedSizes = _model.TryGetFixedOutputSizes(out var perItem);
            if (_moveNetOuts is not null && !fixedSizes)
                throw _model.Shape($"MoveNet heads need fixed sizes: {_model.DescribeOutputs()}");

            if (_moveNetOuts is null && options.CentrePrior != MoveNetCentrePrior.Model)
            {
                if (_kind == OutputKind.MoveNet)
                    logger.LogWarning("Pose model {Name} does not expose MoveNet's heads, so --centre-prior is not used and MoveNet's own rule decodes it (import the model with 'posetrack models import --movenet-heads')", entry.Name);
                else
                    logger.LogWarning("--centre-prior applies to MoveNet models only; pose model {Name} is a {Kind} model and ignores it", entry.Name, _kind.ToString().ToLowerInvariant());
            }
            if (fixedSizes)
            {
                _outPerItem = perItem;
                if (_kind == OutputKind.Heatmap) { _heatH = dims[0][2]; _heatW = dims[0][3]; }
                else if (_kind == OutputKind.Simcc) { _lenX = dims[_simccXIndex][2]; _lenY = dims[_simccYIndex][2]; }
            }
            // Side by side runs are for the CPU: a GPU takes one batched run better than several small ones.
            _parallelRuns = _outPerItem is null || _model.Provider != "cpu" ? 1 : inference.PoseRunsSideBySide();
            // Crops are warped in parallel only when the session itself spreads over cores; otherwise one thread does it all.
            _parallelPrep = inference.ForPose().IntraOpThreads > 1;

            Skeleton = Skeleton.ForJointCount(_joints)
                ?? throw _model.Shape($"{_joints} joints is neither COCO-17 nor MPII-16 (outputs {_model.DescribeOutputs()})");
            logger.LogDebug("Pose model {Name}: {Kind} decoder, {Skeleton}, input {W}x{H}, batch {Batch}",
                entry.Name, _kind, Skeleton.Name, _inW, _inH, _maxBatch > 1 ? "dynamic" : "1");
        }
        catch
        {
            _model.Dispose();
            throw;
        }
    }

    /// <summary>Makes a fixed batch-1 graph accept any batch, when that is safe; otherwise crops run one by one.</summary>
    private static byte[] PrepareBatching(byte[] bytes, string name, PoseOptions options, ILogger logger)
    {
        if (options.Batching == PoseBatching.Loop) return bytes;
        byte[]? edited;
        string? reason;
        try { edited = OnnxGraphEditor.MakeBatchDynamic(bytes, out reason); }
        catch (PoseTrackException e)
        {
            // The editor only says "Not an ONNX model"; name the model the user asked for.
            throw new PoseTrackException($"model {name} cannot be loaded: {e.Message}", inner: e);
        }
        if (edited is null)
            logger.LogDebug("Pose model {Name} keeps batch 1: {Reason}", name, reason);
        return edited ?? bytes;
    }

    /// <summary>
    /// <see cref="Estimate"/>, then pose NMS at <see cref="PoseOptions.NmsThreshold"/>: two poses of one person (overlapping
    /// detector boxes) become one. What the pipeline, the library's one-call API and the benchmark all run.
    /// </summary>
    public Person[] EstimateDistinct(Mat bgrImage, IReadOnlyList<PersonDetection> boxes) =>
        PoseNms.Suppress(Estimate(bgrImage, boxes), _options.NmsThreshold);

    /// <inheritdoc/>
    IReadOnlyList<Person> IPoseModel.Estimate(Mat bgrImage, IReadOnlyList<PersonDetection> boxes) => EstimateDistinct(bgrImage, boxes);

    /// <summary>Estimates one pose per box. Boxes are in image pixels; results keep the input order.</summary>
    public Person[] Estimate(Mat bgrImage, IReadOnlyList<PersonDetection> boxes)
    {
        int n = boxes.Count;
        if (n == 0) return [];
        int views = _options.Flip ? 2 : 1;
        int total = n * views;
        int item = 3 * _inW * _inH;
        EnsureCapacity(total * item, n);

        var crops = new AffineCrop[n];
        if (_outPerItem is not null)
        {
            EnsureOutputs(total);
            // Crops run side by side, each taken by the next free worker (warp, pack, run into its slice of the reused
            // output buffers): with one intra-op thread per run this keeps every core on pose work, and a core freed
            // by a finished crop takes the next one (a fixed split of the crops left cores idle: 42 vs 47 fps).
            if (_parallelRuns <= 1 || n == 1) RunGroup(bgrImage, boxes, crops, 0, n, n, _parallelPrep);
            else Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = _parallelRuns },
                i => RunGroup(bgrImage, boxes, crops, i, i + 1, n, parallelPrep: false));
        }
        else
        {
            PrepareCrops(bgrImage, boxes, crops, 0, n, n, _parallelPrep);
            RunCopying(total, item);
        }

        var persons = new Person[n];
        for (int i = 0; i < n; i++)
        {
            // Decoded in model-input pixels into the person's own array, then mapped back to the image in place.
            var points = new Keypoint[_joints];
            var kps = points.AsSpan();
            if (_kind == OutputKind.Heatmap)
            {
                int per = _joints * _heatH * _heatW;
                var own = _out0.AsSpan(i * per, per);
                if (_options.Flip) HeatmapDecoder.MergeFlipped(own, _out0.AsSpan((n + i) * per, per), _joints, _heatH, _heatW, Skeleton);
                HeatmapDecoder.Decode(own, _joints, _heatH, _heatW, _inW, _inH, kps, _options.Dark);
            }
            else if (_kind == OutputKind.MoveNet)
            {
                if (_moveNetOuts is not null)   // only set up for the box priors
                {
                    DecodeHeads(i, crops[i], boxes[i].Box, kps);
                    if (_options.Flip)
                    {
                        if (_flipped.Length < _joints) _flipped = new Keypoint[_joints];
                        DecodeHeads(n + i, crops[i], boxes[i].Box, _flipped);   // the mirrored crop has the same box
                        MergeFlippedKeypoints(kps, _flipped);
                    }
                }
                else
                {
                    int per = _joints * MoveNetDecoder.ValuesPerKeypoint;
                    MoveNetDecoder.Decode(_out0.AsSpan(i * per, per), _inW, _inH, kps);
                    if (_options.Flip)
                    {
                        if (_flipped.Length < _joints) _flipped = new Keypoint[_joints];
                        MoveNetDecoder.Decode(_out0.AsSpan((n + i) * per, per), _inW, _inH, _flipped);
                        MergeFlippedKeypoints(kps, _flipped);
                    }
                }
            }
            else
            {
                int xl = _joints * _lenX, yl = _joints * _lenY;
                var ox = _outX.AsSpan(i * xl, xl);
                var oy = _outY.AsSpan(i * yl, yl);
                if (_options.Flip)
                    SimccDecoder.MergeFlipped(ox, oy, _outX.AsSpan((n + i) * xl, xl), _outY.AsSpan((n + i) * yl, yl), _joints, _lenX, _lenY, Skeleton);
                SimccDecoder.Decode(ox, oy, _joints, _lenX, _lenY, _inW, _inH, kps);
            }
            for (int k = 0; k < _joints; k++)
            {
                var (x, y) = crops[i].ToImage(points[k].X, points[k].Y);
                points[k] = points[k] with { X = x, Y = y };
            }
            persons[i] = new Person(boxes[i].Box, boxes[i].Score, points, Skeleton);
        }
        return persons;
    }

    /// <summary>Warps one person's crop into <paramref name="scratch"/> and packs it, normalised, into <paramref name="dest"/>.</summary>
    private AffineCrop WarpAndPack(Mat bgrImage, BoxF box, Mat scratch, Span<float> dest)
    {
        var crop = new AffineCrop(box, _inW, _inH, _options.Padding);
        using (var m = Mat.FromPixelData(2, 3, MatType.CV_64FC1, crop.Forward()))
            Cv2.WarpAffine(bgrImage, scratch, m, new Size(_inW, _inH), InterpolationFlags.Linear, BorderTypes.Constant, Scalar.All(0));
        ImageTensor.ToPlanar(scratch, dest, _entry.IsRgb, _entry.Mean, _entry.Std);
        return crop;
    }

    /// <summary>Warps and packs crops [a, b) (and their mirrored views at n + i) into the input buffer.</summary>
    private void PrepareCrops(Mat bgrImage, IReadOnlyList<PersonDetection> boxes, AffineCrop[] crops, int a, int b, int n, bool parallel)
    {
        int item = 3 * _inW * _inH;
        void One(int i)
        {
            var mat = _crops[i];
            crops[i] = WarpAndPack(bgrImage, boxes[i].Box, mat, _input.AsSpan(i * item, item));
            if (_options.Flip)
            {
                Cv2.Flip(mat, mat, FlipMode.Y);
                ImageTensor.ToPlanar(mat, _input.AsSpan((n + i) * item, item), _entry.IsRgb, _entry.Mean, _entry.Std);
            }
        }
        if (parallel && b - a > 1)
            Parallel.For(a, b, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, One);
        else
            for (int i = a; i < b; i++) One(i);
    }

    /// <summary>Prepares and runs crops [a, b) and their mirrored views, writing the outputs in place.</summary>
    private void RunGroup(Mat bgrImage, IReadOnlyList<PersonDetection> boxes, AffineCrop[] crops, int a, int b, int n, bool parallelPrep)
    {
        PrepareCrops(bgrImage, boxes, crops, a, b, n, parallelPrep);
        // All crops of the frame: the mirrored views follow the crops in the buffers, so one run (per batch) takes both.
        if (a == 0 && b == n) RunItems(0, _options.Flip ? 2 * n : n);
        else
        {
            RunItems(a, b - a);
            if (_options.Flip) RunItems(n + a, b - a);
        }
    }

    /// <summary>Runs items [start, start + count) in batches of at most the batch limit, into the output buffers.</summary>
    private void RunItems(int start, int count)
    {
        int item = 3 * _inW * _inH;
        var outputs = _runOutputs;
        var per = _outPerItem!;
        var offsets = new int[per.Length];
        for (int s = start; s < start + count; s += _maxBatch)
        {
            int c = Math.Min(_maxBatch, start + count - s);
            for (int o = 0; o < per.Length; o++) offsets[o] = s * per[o];
            _model.RunInto(_input, s * item, c, _inH, _inW, outputs, offsets);
        }
    }

    /// <summary>For graphs whose output sizes are only known at run time: ORT allocates the outputs, which are copied.</summary>
    private void RunCopying(int total, int item)
    {
        for (int start = 0; start < total; start += _maxBatch)
        {
            int count = Math.Min(_maxBatch, total - start);
            using var outputs = _model.Run(_input, start * item, count, _inH, _inW);
            if (_kind is OutputKind.Heatmap or OutputKind.MoveNet)
            {
                var shape = outputs[0].GetTensorTypeAndShape().Shape;
                int per = (int)(shape[1] * shape[2] * shape[3]);
                _heatH = (int)shape[2]; _heatW = (int)shape[3];
                Grow(ref _out0, total * per);
                outputs[0].GetTensorDataAsSpan<float>().CopyTo(_out0.AsSpan(start * per));
            }
            else
            {
                var sx = outputs[_simccXIndex]; var sy = outputs[_simccYIndex];
                _lenX = (int)sx.GetTensorTypeAndShape().Shape[2]; _lenY = (int)sy.GetTensorTypeAndShape().Shape[2];
                Grow(ref _outX, total * _joints * _lenX);
                Grow(ref _outY, total * _joints * _lenY);
                sx.GetTensorDataAsSpan<float>().CopyTo(_outX.AsSpan(start * _joints * _lenX));
                sy.GetTensorDataAsSpan<float>().CopyTo(_outY.AsSpan(start * _joints * _lenY));
            }
        }
    }

    private int _heatH, _heatW, _lenX, _lenY;
    private Keypoint[] _flipped = [];
    private float[][] _runOutputs = [];   // the output buffers in the model's output order (set by EnsureOutputs)

    /// <summary>Flip test for models that output keypoints: mirror the flipped view's x, swap left/right, average.</summary>
    private void MergeFlippedKeypoints(Span<Keypoint> kps, ReadOnlySpan<Keypoint> flipped)
    {
        for (int k = 0; k < _joints; k++)
        {
            var f = flipped[Skeleton.FlipIndex(k)];
            kps[k] = new Keypoint(0.5f * (kps[k].X + (_inW - f.X)), 0.5f * (kps[k].Y + f.Y), 0.5f * (kps[k].Score + f.Score));
        }
    }
    /// <summary>Decodes item <paramref name="item"/>'s MoveNet heads with the configured centre prior (crop pixels).</summary>
    private void DecodeHeads(int item, AffineCrop crop, BoxF box, Span<Keypoint> result)
    {
        int cells = _gridH * _gridW;
        float[][] o = _moveNetOuts!;
        // The person box in grid cells (the crop is the box padded to the input's aspect ratio, then enlarged).
        float boxW = box.Width * _gridW / crop.RegionWidth, boxH = box.Height * _gridH / crop.RegionHeight;
        MoveNetHeadsDecoder.Decode(
            o[_centreOut].AsSpan(item * cells, cells),
            o[_heatOut].AsSpan(item * cells * _joints, cells * _joints),
            o[_regressOut].AsSpan(item * cells * 2 * _joints, cells * 2 * _joints),
            o[_offsetOut].AsSpan(item * cells * 2 * _joints, cells * 2 * _joints),
            _gridH, _gridW, _joints, _inW, _inH, _options.CentrePrior, boxW, boxH, result);
    }

    /// <summary>Finds the four MoveNet head outputs (named as the importer names them: heatmaps, centre, regress, offsets) and the keypoint output.</summary>
    private bool FindMoveNetHeads(out int keypoints, out int heatmaps, out int centre, out int regress, out int offsets)
    {
        var names = _model.OutputNames;
        int Index(string n) { for (int i = 0; i < names.Count; i++) if (names[i] == n) return i; return -1; }
        heatmaps = Index("heatmaps"); centre = Index("centre"); regress = Index("regress"); offsets = Index("offsets");
        keypoints = -1;
        for (int i = 0; i < names.Count; i++)
            if (i != heatmaps && i != centre && i != regress && i != offsets && _model.OutputDims[i] is { Length: 4 } d && d[1] == 1 && d[3] == 3) keypoints = i;
        return keypoints >= 0 && heatmaps >= 0 && centre >= 0 && regress >= 0 && offsets >= 0
               && _model.OutputDims.All(d => d.Length == 4);
    }

    private void EnsureCapacity(int inputLength, int crops)
    {
        if (_input.Length < inputLength) _input = new float[inputLength];
        while (_crops.Count < crops) _crops.Add(new Mat(_inH, _inW, MatType.CV_8UC3));
    }

    /// <summary>Sizes the reused output buffers for <paramref name="items"/> items (fixed output sizes only).</summary>
    private void EnsureOutputs(int items)
    {
        if (_moveNetOuts is not null)
        {
            for (int o = 0; o < _moveNetOuts.Length; o++) Grow(ref _moveNetOuts[o], items * _outPerItem![o]);
            _runOutputs = _moveNetOuts;
        }
        else if (_kind != OutputKind.Simcc)
        {
            Grow(ref _out0, items * _outPerItem![0]);
            if (_runOutputs.Length != 1 || _runOutputs[0] != _out0) _runOutputs = [_out0];
        }
        else
        {
            Grow(ref _outX, items * _outPerItem![_simccXIndex]);
            Grow(ref _outY, items * _outPerItem![_simccYIndex]);
            if (_runOutputs.Length != 2 || _runOutputs[_simccXIndex] != _outX || _runOutputs[_simccYIndex] != _outY)
                _runOutputs = _simccXIndex == 0 ? [_outX, _outY] : [_outY, _outX];
        }
    }

    private static void Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new float[length];
    }

    public void Dispose()
    {
        _model.Dispose();
        foreach (var m in _crops) m.Dispose();
    }
}
