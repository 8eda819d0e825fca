using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using PoseTrack.Core;

namespace PoseTrack.Inference;

/// <summary>
/// One ONNX Runtime session, created once and reused: its single float input (NCHW) and its outputs.
/// The input buffer belongs to the caller and is reused across calls; <see cref="RunInto"/> also writes the outputs
/// into the caller's buffers, so a run allocates no tensor memory. Both run methods may be called from several
/// threads at once (ONNX Runtime sessions allow concurrent runs).
/// </summary>
internal sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private string[] _outputNames;

    public string Name { get; }
    /// <summary>Execution provider in use ("cpu", "cuda", "tensorrt").</summary>
    public string Provider { get; }
    /// <summary>Input dims as declared by the graph (-1 = dynamic).</summary>
    public int[] InputDims { get; }
    public IReadOnlyList<string> OutputNames { get; private set; }
    /// <summary>Output dims as declared by the graph (-1 = dynamic).</summary>
    public IReadOnlyList<int[]> OutputDims { get; private set; }
    /// <summary>True when the batch dimension accepts any size.</summary>
    public bool DynamicBatch => InputDims[0] <= 0;

    public OnnxModel(byte[] modelBytes, string name, InferenceOptions options, ILogger logger)
    {
        Name = name;
        _session = SessionFactory.Create(modelBytes, name, options, logger, out var provider);
        Provider = provider;
        var inputs = _session.InputMetadata;
        if (inputs.Count != 1)
            throw Shape($"expected 1 input, found {inputs.Count}");
        var (inName, inMeta) = inputs.First();
        if (inMeta.ElementType != typeof(float) || inMeta.Dimensions.Length != 4)
            throw Shape($"expected one float input [N,3,H,W], found {inMeta.ElementType.Name} [{string.Join(",", inMeta.Dimensions)}]");
        _inputNames = [inName];
        InputDims = inMeta.Dimensions;
        if (InputDims[1] != 3)
            throw Shape($"expected 3 input channels, found input [{string.Join(",", InputDims)}]");
        _outputNames = _session.OutputMetadata.Keys.ToArray();
        OutputNames = _outputNames;
        OutputDims = _session.OutputMetadata.Values.Select(v => v.Dimensions).ToArray();
    }

    /// <summary>
    /// From now on runs fetch only these outputs (indices into <see cref="OutputNames"/>), which then become the model's
    /// outputs here: e.g. MoveNet's keypoints without the intermediate maps it also exposes. Call before the first run.
    /// </summary>
    public void KeepOnlyOutputs(params int[] indices)
    {
        var names = OutputNames;
        var dims = OutputDims;
        _outputNames = indices.Select(i => names[i]).ToArray();
        OutputNames = _outputNames;
        OutputDims = indices.Select(i => dims[i]).ToArray();
    }

    /// <summary>Builds a clear "wrong shape" error for this model.</summary>
    public PoseTrackException Shape(string what) => new($"model {Name} has an unexpected shape: {what}");

    /// <summary>Shape text of all outputs, for error messages.</summary>
    public string DescribeOutputs() =>
        string.Join("; ", OutputNames.Select((n, i) => $"{n} [{string.Join(",", OutputDims[i])}]"));

    /// <summary>
    /// Runs the model on <paramref name="batch"/> items of <paramref name="input"/> starting at element <paramref name="offset"/> (NCHW, height and width as
    /// <paramref name="height"/>/<paramref name="width"/>). The caller disposes the returned outputs.
    /// </summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(float[] input, int offset, int batch, int height, int width)
    {
        int len = batch * 3 * height * width;
        using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(offset, len), [batch, 3, height, width]);
        return _session.Run(_runOptions, _inputNames, [value], _outputNames);
    }

    /// <summary>
    /// True when every output has fixed dimensions after the batch one, so <see cref="RunInto"/> can be used;
    /// <paramref name="perItem"/> is then each output's element count per batch item.
    /// </summary>
    public bool TryGetFixedOutputSizes(out int[] perItem)
    {
        perItem = new int[OutputDims.Count];
        for (int o = 0; o < OutputDims.Count; o++)
        {
            var d = OutputDims[o];
            if (d.Length < 2) return false;
            long n = 1;
            for (int k = 1; k < d.Length; k++) { if (d[k] <= 0) return false; n *= d[k]; }
            perItem[o] = checked((int)n);
        }
        return true;
    }

    /// <summary>
    /// Like <see cref="Run"/>, but ONNX Runtime writes output <c>o</c> of the <paramref name="batch"/> items straight into
    /// <c>outputs[o]</c> from element <c>outputOffsets[o]</c> (needs <see cref="TryGetFixedOutputSizes"/>): no output
    /// tensor is allocated and nothing is copied.
    /// </summary>
    public void RunInto(float[] input, int offset, int batch, int height, int width, float[][] outputs, int[] outputOffsets)
    {
        int len = batch * 3 * height * width;
        OrtValue? inputValue = null;
        var values = new OrtValue[outputs.Length];
        try
        {
            inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(offset, len), [batch, 3, height, width]);
            for (int o = 0; o < outputs.Length; o++)
            {
                var d = OutputDims[o];
                var shape = new long[d.Length];
                shape[0] = batch;
                long per = 1;
                for (int k = 1; k < d.Length; k++) { shape[k] = d[k]; per *= d[k]; }
                values[o] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, outputs[o].AsMemory(outputOffsets[o], checked((int)(per * batch))), shape);
            }
            _session.Run(_runOptions, _inputNames, [inputValue], _outputNames, values);
        }
        finally
        {
            inputValue?.Dispose();
            foreach (var v in values) v?.Dispose();
        }
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }
}
