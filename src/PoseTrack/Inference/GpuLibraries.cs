using System.Runtime.InteropServices;

namespace PoseTrack.Inference;

/// <summary>
/// The shared libraries that the CUDA and TensorRT providers of the ONNX Runtime 1.32.0 GPU package load, probed with
/// <see cref="NativeLibrary.TryLoad(string, out IntPtr)"/> (the same search as the provider's own dlopen) before a
/// session is created, so a missing one is named in one line instead of ONNX Runtime's native error. The names come
/// from the DT_NEEDED entries of libonnxruntime_providers_cuda.so / _tensorrt.so (readelf -d) and cuDNN, which the
/// CUDA provider loads at run time.
/// </summary>
internal static class GpuLibraries
{
    /// <summary>What the CUDA provider needs, in the order a person installs it: driver, CUDA toolkit libraries, cuDNN.</summary>
    public static readonly IReadOnlyList<(string What, string[] Libraries)> Cuda =
    [
        ("NVIDIA driver", ["libcuda.so.1"]),
        ("CUDA 13 libraries", ["libcudart.so.13", "libcublasLt.so.13", "libcublas.so.13", "libcurand.so.10"]),
        ("cuDNN 9", ["libcudnn.so.9"]),
    ];

    /// <summary>What the TensorRT provider needs on top of <see cref="Cuda"/>.</summary>
    public static readonly IReadOnlyList<(string What, string[] Libraries)> TensorRt =
    [
        ("TensorRT 10", ["libnvinfer.so.10", "libnvonnxparser.so.10"]),
    ];

    private static readonly Lazy<string?> CudaMissing = new(() => Describe(Missing(Cuda)));
    private static readonly Lazy<string?> TensorRtMissing = new(() => Describe([.. Missing(Cuda), .. Missing(TensorRt)]));

    /// <summary>Null when every library the CUDA provider needs loads, else one phrase naming the missing ones.</summary>
    public static string? MissingForCuda() => OperatingSystem.IsLinux() ? CudaMissing.Value : null;

    /// <summary>Null when every library the TensorRT provider needs (CUDA's too) loads, else one phrase naming the missing ones.</summary>
    public static string? MissingForTensorRt() => OperatingSystem.IsLinux() ? TensorRtMissing.Value : null;

    /// <summary>Each group with the libraries of it that do not load (groups with none left out).</summary>
    internal static List<(string What, string[] Libraries)> Missing(IEnumerable<(string What, string[] Libraries)> groups, Func<string, bool>? loads = null)
    {
        loads ??= name => NativeLibrary.TryLoad(name, out _);
        var missing = new List<(string, string[])>();
        foreach (var (what, libraries) in groups)
        {
            var absent = libraries.Where(l => !loads(l)).ToArray();
            if (absent.Length > 0) missing.Add((what, absent));
        }
        return missing;
    }

    /// <summary>"CUDA 13 libraries not found: libcudart.so.13, libcublasLt.so.13; cuDNN 9 not found: libcudnn.so.9", or null.</summary>
    internal static string? Describe(IReadOnlyList<(string What, string[] Libraries)> missing) =>
        missing.Count == 0 ? null : string.Join("; ", missing.Select(m => $"{m.What} not found: {string.Join(", ", m.Libraries)}"));
}
