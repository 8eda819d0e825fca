using Microsoft.Extensions.Logging;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Inference;
using PoseTrack.Models;
using Microsoft.ML.OnnxRuntime;

namespace PoseTrack.Detection;

/// <summary>
/// Detectors exported by mmdeploy with NMS inside the graph (RTMDet, YOLOX): the image is letterboxed to the
/// top-left of a canvas filled with 114, normalised per the manifest, and the graph returns
/// <c>dets [N,M,5]</c> (x1,y1,x2,y2,score in letterboxed pixels) and <c>labels [N,M]</c> (0 = person).
/// With tiles (<see cref="DetectorOptions.Tiled"/>) the whole frame and each tile are letterboxed in turn, run in one
/// batch where the graph has a dynamic batch dimension, and their boxes merged (<see cref="DetectionTiles"/>).
/// </summary>
internal sealed class LetterboxDetector : IPersonDetector
{
    private const int PadValue = 114;
    // A tile box this close (pixels) to a cut between tiles counts as cut by it.
    private const float CutMargin = 2f;
    private readonly OnnxModel _model;
    private readonly ModelEntry _entry;
    private readonly DetectorOptions _options;
    private readonly int _inW, _inH;
    private readonly bool _batchPasses;
    private readonly float[] _input;
    private readonly Mat _canvas;
    private readonly int _detsIndex, _labelsIndex;
    private int _lastW = -1, _lastH = -1;   // size of the image drawn into the canvas last: the padding around it is still 114

    public string Name => _entry.Name;

    /// <summary>The detector's input size (width, height) in use.</summary>
    internal (int Width, int Height) InputSize => (_inW, _inH);

    public LetterboxDetector(ModelManifest manifest, ModelEntry entry, DetectorOptions options, InferenceOptions inference, ILogger logger)
        : this(manifest, entry, options, inference, logger, batchPasses: true) { }

    // batchPasses: run the whole frame and its tiles in one batch when the graph allows it (false: one run each; tests compare the two).
    internal LetterboxDetector(ModelManifest manifest, ModelEntry entry, DetectorOptions options, InferenceOptions inference, ILogger logger, bool batchPasses)
    {
        _entry = entry; _options = options;
        _model = new OnnxModel(manifest.ReadVerified(entry), entry.Name, inference.ForDetector(), logger);
        try
        {
            bool fixedSize = _model.InputDims[3] > 0 && _model.InputDims[2] > 0;
            if (options.InputWidth > 0 && fixedSize && (options.InputWidth != _model.InputDims[3] || options.InputHeight != _model.InputDims[2]))
                throw new PoseTrackException($"detector {entry.Name} takes only {_model.InputDims[3]}×{_model.InputDims[2]} input (its graph has a fixed size), not {options.InputWidth}×{options.InputHeight}");
            _inW = fixedSize ? _model.InputDims[3] : options.InputWidth > 0 ? options.InputWidth : entry.Input.Width;
            _inH = fixedSize ? _model.InputDims[2] : options.InputHeight > 0 ? options.InputHeight : entry.Input.Height;
            _detsIndex = FindOutput(d => d.Length == 3 && (d[2] == 5 || d[2] < 0));
            _labelsIndex = FindOutput(d => d.Length == 2);
            if (_detsIndex < 0)
                throw _model.Shape($"a detector needs an output dets [N,M,5] (and labels [N,M]); found {_model.DescribeOutputs()}");
        }
        catch
        {
            _model.Dispose();   // not leaked to a caller who retries with another model
            throw;
        }
        int passes = 1 + options.TileRows * options.TileColumns;
        _batchPasses = batchPasses && options.Tiled && _model.DynamicBatch && RunsInBatches(passes);
        _input = new float[(_batchPasses ? passes : 1) * 3 * _inW * _inH];
        _canvas = new Mat(_inH, _inW, MatType.CV_8UC3, new Scalar(PadValue, PadValue, PadValue));
    }

    // A dynamic batch dimension is not a promise: mmdeploy's RTMDet export says [batch,3,H,W] but its NMS part
    // only broadcasts batch 1 (ONNX Runtime fails in a Where node). One trial run at load tells.
    private bool RunsInBatches(int batch)
    {
        try
        {
            using var outputs = _model.Run(new float[batch * 3 * _inW * _inH], 0, batch, _inH, _inW);
            return true;
        }
        catch (OnnxRuntimeException)
        {
            return false;
        }
    }

    private int FindOutput(Func<int[], bool> match)
    {
        for (int i = 0; i < _model.OutputDims.Count; i++) if (match(_model.OutputDims[i])) return i;
        return -1;
    }

    public IReadOnlyList<PersonDetection> Detect(Mat bgrImage)
    {
        if (bgrImage.Empty() || bgrImage.Type() != MatType.CV_8UC3)
            throw new ArgumentException("expected a non-empty 8-bit BGR image", nameof(bgrImage));
        int w = bgrImage.Cols, h = bgrImage.Rows;
        if (!_options.Tiled)
        {
            float r = Letterbox(bgrImage, 0);
            var result = new List<PersonDetection>();
            using (var outputs = _model.Run(_input, 0, 1, _inH, _inW))
                ReadBoxes(outputs, 0, 1, r, 0, 0, w, h, null, result);
            result.Sort((a, b) => b.Score.CompareTo(a.Score));
            return result;
        }

        var tiles = DetectionTiles.Layout(w, h, _options.TileRows, _options.TileColumns, _options.TileOverlap);
        var whole = new List<PersonDetection>();
        var fromTiles = new List<PersonDetection>();
        int plane = 3 * _inW * _inH;
        var ratios = new float[1 + tiles.Count];
        // Pass 0 is the whole frame; pass i > 0 is tile i − 1 (a view into the frame, not a copy).
        for (int pass = 0; pass <= tiles.Count; pass++)
        {
            int slot = _batchPasses ? pass : 0;
            if (pass == 0) ratios[0] = Letterbox(bgrImage, 0);
            else
            {
                var t = tiles[pass - 1];
                using var view = new Mat(bgrImage, new Rect(t.X, t.Y, t.Width, t.Height));
                ratios[pass] = Letterbox(view, slot * plane);
            }
            if (!_batchPasses)
            {
                using var outputs = _model.Run(_input, 0, 1, _inH, _inW);
                ReadPass(outputs, 0, 1, pass);
            }
        }
        if (_batchPasses)
        {
            using var outputs = _model.Run(_input, 0, tiles.Count + 1, _inH, _inW);
            for (int pass = 0; pass <= tiles.Count; pass++) ReadPass(outputs, pass, tiles.Count + 1, pass);
        }
        return DetectionTiles.Merge(whole, fromTiles, _options.TileMergeIou);

        void ReadPass(IReadOnlyList<OrtValue> outputs, int item, int batch, int pass)
        {
            if (pass == 0) ReadBoxes(outputs, item, batch, ratios[0], 0, 0, w, h, null, whole);
            else
            {
                var t = tiles[pass - 1];
                ReadBoxes(outputs, item, batch, ratios[pass], t.X, t.Y, w, h, t, fromTiles);
            }
        }
    }

    /// <summary>The pre-processing of <see cref="Detect"/> alone (every pass letterboxed and packed, no model run): the bench's figure.</summary>
    internal void Preprocess(Mat bgrImage)
    {
        Letterbox(bgrImage, 0);
        if (!_options.Tiled) return;
        var tiles = DetectionTiles.Layout(bgrImage.Cols, bgrImage.Rows, _options.TileRows, _options.TileColumns, _options.TileOverlap);
        int plane = 3 * _inW * _inH;
        for (int i = 0; i < tiles.Count; i++)
        {
            var t = tiles[i];
            using var view = new Mat(bgrImage, new Rect(t.X, t.Y, t.Width, t.Height));
            Letterbox(view, _batchPasses ? (i + 1) * plane : 0);
        }
    }

    /// <summary>The normalisation of the detector's input: per-channel mean and std in the model's channel order, and whether that order is RGB (tests).</summary>
    internal (float[] Mean, float[] Std, bool Rgb) Normalisation => (_entry.Mean, _entry.Std, _entry.IsRgb);

    /// <summary>The detector's input tensor as the last <see cref="Detect"/> or <see cref="Preprocess"/> left it (tests).</summary>
    internal ReadOnlySpan<float> LastInput => _input;

    // Draws the image letterboxed into the canvas and packs it into the input at `offset`; returns the scale used.
    private float Letterbox(Mat image, int offset)
    {
        int w = image.Cols, h = image.Rows;
        float r = Math.Min((float)_inW / w, (float)_inH / h);
        int rw = Math.Clamp((int)Math.Round(w * r), 1, _inW), rh = Math.Clamp((int)Math.Round(h * r), 1, _inH);

        // The resized image always covers the same top-left area for frames of one size; the padding is only
        // repainted when that area changes. Resize writes straight into the canvas (the ROI has the right size and type).
        if (rw != _lastW || rh != _lastH)
        {
            _canvas.SetTo(new Scalar(PadValue, PadValue, PadValue));
            (_lastW, _lastH) = (rw, rh);
        }
        using (var roi = new Mat(_canvas, new Rect(0, 0, rw, rh)))
            Cv2.Resize(image, roi, new Size(rw, rh), 0, 0, InterpolationFlags.Linear);
        ImageTensor.ToPlanar(_canvas, _input.AsSpan(offset), _entry.IsRgb, _entry.Mean, _entry.Std);
        return r;
    }

    // Boxes of batch item `item`, mapped back to the frame (scale r, then the tile's offset), filtered, added to `into`.
    private void ReadBoxes(IReadOnlyList<OrtValue> outputs, int item, int batch, float r, int offsetX, int offsetY, int frameW, int frameH,
        DetectionTiles.Tile? tile, List<PersonDetection> into)
    {
        var all = outputs[_detsIndex].GetTensorDataAsSpan<float>();
        int m = all.Length / (5 * batch);
        var dets = all.Slice(item * m * 5, m * 5);
        ReadOnlySpan<long> labels = _labelsIndex >= 0 && outputs[_labelsIndex].GetTensorTypeAndShape().ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int64
            ? outputs[_labelsIndex].GetTensorDataAsSpan<long>().Slice(item * m, m) : default;
        for (int i = 0; i < m; i++)
        {
            float score = dets[i * 5 + 4];
            if (score < _options.ScoreThreshold) continue;
            if (!labels.IsEmpty && labels[i] != 0) continue;
            // Padding is bottom/right only, so mapping back is a plain division by the letterbox ratio.
            var box = BoxF.FromCorners(dets[i * 5] / r + offsetX, dets[i * 5 + 1] / r + offsetY, dets[i * 5 + 2] / r + offsetX, dets[i * 5 + 3] / r + offsetY);
            if (tile is { } t)
            {
                box = box.ClipTo(t.X + t.Width, t.Y + t.Height);
                if (DetectionTiles.IsCut(box, t, CutMargin)) continue;
            }
            box = box.ClipTo(frameW, frameH);
            if (box.Width < _options.MinBoxSize || box.Height < _options.MinBoxSize) continue;
            into.Add(new PersonDetection(box, score));
        }
    }

    public void Dispose()
    {
        _model.Dispose();
        _canvas.Dispose();
    }
}
