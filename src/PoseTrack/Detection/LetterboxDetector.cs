using Microsoft.Extensions.Logging;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Inference;
using PoseTrack.Models;

namespace PoseTrack.Detection;

/// <summary>
/// Detectors exported by mmdeploy with NMS inside the graph (RTMDet, YOLOX): the image is letterboxed to the
/// top-left of a square canvas filled with 114, normalised per the manifest, and the graph returns
/// <c>dets [1,N,5]</c> (x1,y1,x2,y2,score in letterboxed pixels) and <c>labels [1,N]</c> (0 = person).
/// </summary>
internal sealed class LetterboxDetector : IPersonDetector
{
    private const int PadValue = 114;
    private readonly OnnxModel _model;
    private readonly ModelEntry _entry;
    private readonly DetectorOptions _options;
    private readonly int _inW, _inH;
    private readonly float[] _input;
    private readonly Mat _canvas;
    private readonly int _detsIndex, _labelsIndex;
    private int _lastW = -1, _lastH = -1;   // size of the image drawn into the canvas last: the padding around it is still 114

    public string Name => _entry.Name;

    public LetterboxDetector(ModelManifest manifest, ModelEntry entry, DetectorOptions options, InferenceOptions inference, ILogger logger)
    {
        _entry = entry; _options = options;
        _model = new OnnxModel(manifest.ReadVerified(entry), entry.Name, inference.ForDetector(), logger);
        _inW = _model.InputDims[3] > 0 ? _model.InputDims[3] : entry.Input.Width;
        _inH = _model.InputDims[2] > 0 ? _model.InputDims[2] : entry.Input.Height;
        _detsIndex = FindOutput(d => d.Length == 3 && (d[2] == 5 || d[2] < 0));
        _labelsIndex = FindOutput(d => d.Length == 2);
        if (_detsIndex < 0)
        {
            var error = _model.Shape($"a detector needs an output dets [N,M,5] (and labels [N,M]); found {_model.DescribeOutputs()}");
            _model.Dispose();   // not leaked to a caller who retries with another model
            throw error;
        }
        _input = new float[3 * _inW * _inH];
        _canvas = new Mat(_inH, _inW, MatType.CV_8UC3, new Scalar(PadValue, PadValue, PadValue));
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
            Cv2.Resize(bgrImage, roi, new Size(rw, rh), 0, 0, InterpolationFlags.Linear);
        ImageTensor.ToPlanar(_canvas, _input, _entry.IsRgb, _entry.Mean, _entry.Std);

        using var outputs = _model.Run(_input, 0, 1, _inH, _inW);
        var dets = outputs[_detsIndex].GetTensorDataAsSpan<float>();
        int n = dets.Length / 5;
        ReadOnlySpan<long> labels = _labelsIndex >= 0 && outputs[_labelsIndex].GetTensorTypeAndShape().ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int64
            ? outputs[_labelsIndex].GetTensorDataAsSpan<long>() : default;

        var result = new List<PersonDetection>(n);
        for (int i = 0; i < n; i++)
        {
            float score = dets[i * 5 + 4];
            if (score < _options.ScoreThreshold) continue;
            if (!labels.IsEmpty && labels[i] != 0) continue;
            // Padding is bottom/right only, so mapping back is a plain division by the letterbox ratio.
            var box = BoxF.FromCorners(dets[i * 5] / r, dets[i * 5 + 1] / r, dets[i * 5 + 2] / r, dets[i * 5 + 3] / r).ClipTo(w, h);
            if (box.Width < _options.MinBoxSize || box.Height < _options.MinBoxSize) continue;
            result.Add(new PersonDetection(box, score));
        }
        result.Sort((a, b) => b.Score.CompareTo(a.Score));
        return result;
    }

    public void Dispose()
    {
        _model.Dispose();
        _canvas.Dispose();
    }
}
