using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using PoseTrack.Core;

namespace PoseTrack.Inference;

/// <summary>
/// One ONNX Runtime session, created once and reused: its single float input (NCHW) and its outputs.
/// The input buffer belongs to the caller and is reused across calls; only ORT's output tensors are allocated per run.
/// </summary>
internal sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly long[] _shape;

    public string Name { get; }
    /// <summary>Execution provider in use ("cpu", "cuda", "tensorrt").</summary>
    public string Provider { get; }
    /// <summary>Input dims as declared by the graph (-1 = dynamic).</summary>
    public int[] InputDims { get; }
    public IReadOnlyList<string> OutputNames { get; }
    /// <summary>Output dims as declared by the graph (-1 = dynamic).</summary>
    public IReadOnlyList<int[]> OutputDims { get; }
    /// <summary>True when the batch dimension accepts any size.</summary>
    public bool DynamicBatch => InputDims[0] <= 0;
    /// <summary>Elements of one input item (C·H·W).</summary>
    public int ItemSize { get; }

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
        OutputNames = _session.OutputMetadata.Keys.ToArray();
        OutputDims = _session.OutputMetadata.Values.Select(v => v.Dimensions).ToArray();
        _shape = [1, InputDims[1], InputDims[2], InputDims[3]];
        ItemSize = InputDims[1] * Math.Max(1, InputDims[2]) * Math.Max(1, InputDims[3]);
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
        _shape[0] = batch; _shape[2] = height; _shape[3] = width;
        int len = batch * 3 * height * width;
        using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(offset, len), _shape);
        return _session.Run(_runOptions, _inputNames, [value], OutputNames);
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }
}
