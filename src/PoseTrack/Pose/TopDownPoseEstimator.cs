using Microsoft.Extensions.Logging;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Inference;
using PoseTrack.Models;

namespace PoseTrack.Pose;

/// <summary>
/// Top-down pose model over person boxes: crop (<see cref="AffineCrop"/>) → runs (side by side on the CPU, batched, or
/// copying for outputs sized at run time) → decode by the <see cref="IPoseHead"/> of the output kind
/// (<see cref="PoseOutputClassifier"/>, chosen once at load) → inverse affine.
/// Not thread-safe: one instance per pipeline stage.
/// </summary>
internal sealed class TopDownPoseEstimator : IPoseModel
{
    private readonly OnnxModel _model;
    private readonly ModelEntry _entry;
    private readonly PoseOptions _options;
    private readonly IPoseHead _head;   // the decoding side for the model's output kind, chosen at load
    private readonly int _inW, _inH, _joints;
    private readonly int _maxBatch;
    private readonly List<Mat> _crops = [];
    private readonly int _parallelRuns;
    private readonly bool _parallelPrep;
    private readonly int[]? _outPerItem;   // per-item output sizes when fixed: outputs are written in place
    private float[] _input = [];
    private float[][] _runOutputs = [];   // the head's output buffers in the model's output order (fixed sizes; set per frame)

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
        var packed = new float[boxes.Count * 3 * _inW * _inH];
        using var mat = new Mat(_inH, _inW, MatType.CV_8UC3);
        PackCrops(bgrImage, boxes, packed, mat);
        return packed;
    }

    /// <summary>The crop warps alone, into <paramref name="packed"/> (room for every box) with <paramref name="scratch"/> as the
    /// warped 8-bit crop, as <see cref="Estimate"/> prepares them: the bench's figure, without allocating.</summary>
    internal void PackCrops(Mat bgrImage, IReadOnlyList<PersonDetection> boxes, float[] packed, Mat scratch)
    {
        int item = 3 * _inW * _inH;
        for (int i = 0; i < boxes.Count; i++) WarpAndPack(bgrImage, boxes[i].Box, scratch, packed.AsSpan(i * item, item));
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

            PoseOutputClass cls;
            try { cls = PoseOutputClassifier.Classify(_model.OutputNames, _model.OutputDims); }
            catch (PoseTrackException e) { throw _model.Shape(e.Message); }
            // The graph's outputs decide how a model is decoded: a decoder can only read the buffers the graph has. A manifest
            // entry naming another decoder describes some other model (a swapped file, a wrong entry), and decoding by either
            // would hide that, so neither wins: the load fails. An entry without a decoder (older manifests) is not checked.
            if (!string.IsNullOrEmpty(entry.Decoder) && !entry.Decoder.Equals(cls.Decoder, StringComparison.OrdinalIgnoreCase))
                throw new PoseTrackException($"model {entry.Name}: its manifest entry says decoder '{entry.Decoder}', but its outputs ({_model.DescribeOutputs()}) need the {cls.Decoder} decoder; fix the entry or reinstall the model");
            _joints = cls.Keypoints;
            Skeleton = Skeleton.ForJointCount(_joints)
                ?? throw _model.Shape($"{_joints} joints is neither COCO-17 nor MPII-16 (outputs {_model.DescribeOutputs()})");

            bool heads = cls.Kind == PoseOutputKind.MoveNetHeads;
            if (heads && options.CentrePrior == MoveNetCentrePrior.Model)
            {
                // MoveNet's own rule is what the graph's keypoint output already holds: the maps are not fetched.
                var names = _model.OutputNames;
                _model.KeepOnlyOutputs(Enumerable.Range(0, names.Count).Single(i => !PoseOutputClassifier.MoveNetHeadNames.Contains(names[i])));
                heads = false;
            }
            bool fixedSizes = _model.TryGetFixedOutputSizes(out var perItem);
            var ctx = new PoseHeadContext(_joints, _inW, _inH, Skeleton, options);
            _head = cls.Kind switch
            {
                PoseOutputKind.Heatmap => new HeatmapHead(ctx, _model.OutputDims[0], fixedSizes),
                PoseOutputKind.Simcc => new SimccHead(ctx, _model.OutputNames, _model.OutputDims, fixedSizes),
                _ when heads => new MoveNetHeadsHead(ctx, _model),
                _ => new MoveNetHead(ctx),
            };
            if (heads && !fixedSizes)
                throw _model.Shape($"MoveNet heads need fixed sizes: {_model.DescribeOutputs()}");

            if (!heads && options.CentrePrior != MoveNetCentrePrior.Model)
            {
                if (cls.Kind == PoseOutputKind.MoveNet)
                    logger.LogWarning("Pose model {Name} does not expose MoveNet's heads, so --centre-prior is not used and MoveNet's own rule decodes it (import the model with 'posetrack models import --movenet-heads')", entry.Name);
                else
                    logger.LogWarning("--centre-prior applies to MoveNet models only; pose model {Name} is a {Kind} model and ignores it", entry.Name, cls.Decoder);
            }
            if (fixedSizes) _outPerItem = perItem;
            // Side by side runs are for the CPU: a GPU takes one batched run better than several small ones.
            _parallelRuns = _outPerItem is null || _model.Provider != "cpu" ? 1 : inference.PoseRunsSideBySide();
            // Crops are warped in parallel only when the session itself spreads over cores; otherwise one thread does it all.
            _parallelPrep = inference.ForPose().IntraOpThreads > 1;

            logger.LogDebug("Pose model {Name}: {Head}, {Skeleton}, input {W}x{H}, batch {Batch}",
                entry.Name, _head.GetType().Name, Skeleton.Name, _inW, _inH, _maxBatch > 1 ? "dynamic" : "1");
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
            _runOutputs = _head.OutputsFor(total, _outPerItem);
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
            _head.Decode(i, n, crops[i], boxes[i].Box, points);
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
            _head.CopyOut(outputs, start, total);
        }
    }

    private void EnsureCapacity(int inputLength, int crops)
    {
        if (_input.Length < inputLength) _input = new float[inputLength];
        while (_crops.Count < crops) _crops.Add(new Mat(_inH, _inW, MatType.CV_8UC3));
    }

    public void Dispose()
    {
        _model.Dispose();
        foreach (var m in _crops) m.Dispose();
    }
}
