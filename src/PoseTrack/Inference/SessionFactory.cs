using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using PoseTrack.Core;

namespace PoseTrack.Inference;

/// <summary>
/// Creates ONNX Runtime sessions on the requested execution provider. With <see cref="ExecutionDevice.Auto"/>
/// it tries TensorRT, then CUDA, then CPU, and logs one line saying which provider runs and why it fell back.
/// Before a GPU session is tried, the libraries its provider loads are probed (<see cref="GpuLibraries"/>), so a missing
/// driver, CUDA, cuDNN or TensorRT is named in that line (or, for an explicit --device, in the error) and ONNX Runtime
/// never gets to print its own load failure; its log goes through <see cref="OrtLog"/> anyway.
/// </summary>
internal static class SessionFactory
{
    private static int _loggedChoice;

    /// <summary>The reason a CPU-only build gives for having no GPU provider.</summary>
    internal const string CpuBuildReason =
        "this build has no CUDA or TensorRT provider: it uses the CPU ONNX Runtime package; install PoseTrack.Tool.Gpu / PoseTrack.Gpu or build with -p:Gpu=true";

    /// <summary>Providers compiled into the loaded ONNX Runtime native library.</summary>
    public static IReadOnlyList<string> AvailableProviders()
    {
        try { return OrtLog.Environment().GetAvailableProviders(); }
        catch (Exception) { return ["CPUExecutionProvider"]; }
    }

    /// <summary>
    /// Null when <paramref name="device"/> can be tried in this process, else why not: its provider is not in this build,
    /// or a library it loads is missing.
    /// </summary>
    internal static string? WhyNot(ExecutionDevice device, IReadOnlyList<string>? available = null)
    {
        available ??= AvailableProviders();
        return device switch
        {
            ExecutionDevice.Cuda when !available.Contains("CUDAExecutionProvider") => CpuBuildReason,
            ExecutionDevice.TensorRt when !available.Contains("TensorrtExecutionProvider") => CpuBuildReason,
            ExecutionDevice.Cuda => GpuLibraries.MissingForCuda(),
            ExecutionDevice.TensorRt => GpuLibraries.MissingForTensorRt(),
            _ => null,
        };
    }

    public static InferenceSession Create(byte[] model, string modelName, InferenceOptions options, ILogger logger, out string provider)
    {
        string logId = OrtLog.SessionLogId(modelName, logger);
        var available = AvailableProviders();
        if (options.GpuDeviceId < 0) throw new PoseTrackException($"--gpu-id must be 0 or more (got {options.GpuDeviceId})");

        string? fallbackReason = null;
        var order = options.Device switch
        {
            ExecutionDevice.Cpu => new[] { ExecutionDevice.Cpu },
            ExecutionDevice.Cuda => [ExecutionDevice.Cuda],
            ExecutionDevice.TensorRt => [ExecutionDevice.TensorRt],
            _ => [ExecutionDevice.TensorRt, ExecutionDevice.Cuda, ExecutionDevice.Cpu],
        };
        foreach (var device in order)
        {
            if (device == ExecutionDevice.Cpu)
            {
                var cpu = BaseOptions(options, logId);
                try
                {
                    var session = new InferenceSession(model, cpu);
                    provider = "cpu";
                    LogChoiceOnce(logger, provider, options.Device, fallbackReason);
                    return session;
                }
                catch (OnnxRuntimeException e)
                {
                    throw new PoseTrackException($"model {modelName} cannot be loaded by ONNX Runtime: {FirstLine(e.Message)}");
                }
                finally { cpu.Dispose(); }
            }

            if (WhyNot(device, available) is { } why)
            {
                if (options.Device == device) throw Unavailable(device, why);
                fallbackReason ??= why;
                continue;
            }
            try
            {
                var session = CreateOnGpu(device, model, modelName, logId, options, logger);
                provider = device == ExecutionDevice.TensorRt ? "tensorrt" : "cuda";
                LogChoiceOnce(logger, provider, options.Device, fallbackReason);
                return session;
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                // The libraries load, but the provider does not start (no GPU, driver too old for CUDA 13, out of memory).
                var message = $"the {Name(device)} provider failed to start: {FirstLine(e.Message)}";
                if (options.Device == device) throw Unavailable(device, message);
                fallbackReason ??= message;
            }
        }
        throw new PoseTrackException($"no usable ONNX Runtime execution provider for model {modelName}");
    }

    private static InferenceSession CreateOnGpu(ExecutionDevice device, byte[] model, string modelName, string logId, InferenceOptions options, ILogger logger)
    {
        using var so = BaseOptions(options, logId);
        using var cuda = new OrtCUDAProviderOptions();
        cuda.UpdateOptions(CudaProviderOptions(options));
        OrtTensorRTProviderOptions? trt = null;
        string? engineDir = null;
        try
        {
            if (device == ExecutionDevice.TensorRt)
            {
                var cacheRoot = options.ResolvedTensorRtCacheDirectory();
                engineDir = Path.Combine(cacheRoot, EngineFolderName(modelName, model));
                Directory.CreateDirectory(engineDir);
                trt = new OrtTensorRTProviderOptions();
                trt.UpdateOptions(TensorRtProviderOptions(options, cacheRoot, engineDir, DynamicBatchInput(model)));
                so.AppendExecutionProvider_Tensorrt(trt);
            }
            // CUDA runs what TensorRT does not take.
            so.AppendExecutionProvider_CUDA(cuda);

            int enginesBefore = engineDir is null ? 0 : CountEngines(engineDir);
            var clock = Stopwatch.StartNew();
            var session = new InferenceSession(model, so);
            if (engineDir is not null)
            {
                double seconds = clock.Elapsed.TotalSeconds;
                if (CountEngines(engineDir) > enginesBefore)
                    logger.LogInformation("TensorRT built the engine for {Model} in {Seconds:F1} s{Fp16} (cached in {Dir}; later runs load it)",
                        modelName, seconds, options.TensorRtFp16 ? " with FP16" : "", engineDir);
                else
                    logger.LogInformation("TensorRT session for {Model} ready in {Seconds:F1} s (engine cache {Dir})", modelName, seconds, engineDir);
            }
            return session;
        }
        finally { trt?.Dispose(); }
    }

    /// <summary>The CUDA provider's options (ONNX Runtime's names) for these inference options.</summary>
    internal static Dictionary<string, string> CudaProviderOptions(InferenceOptions options)
    {
        var d = new Dictionary<string, string>
        {
            ["device_id"] = options.GpuDeviceId.ToString(CultureInfo.InvariantCulture),
            ["arena_extend_strategy"] = options.GpuArenaExtend == GpuArenaExtend.SameAsRequested ? "kSameAsRequested" : "kNextPowerOfTwo",
        };
        if (options.GpuMemoryLimitMb is { } mb)
            d["gpu_mem_limit"] = checked(mb * 1024 * 1024).ToString(CultureInfo.InvariantCulture);
        return d;
    }

    /// <summary>
    /// The TensorRT provider's options: engine and timing caches, FP16, and for a model whose batch is dynamic an
    /// optimisation profile from 1 to <see cref="InferenceOptions.TensorRtMaxBatch"/> (so one engine serves every batch).
    /// </summary>
    internal static Dictionary<string, string> TensorRtProviderOptions(InferenceOptions options, string cacheRoot, string engineDir,
        (string Name, long[] Dims)? dynamicBatchInput)
    {
        var d = new Dictionary<string, string>
        {
            ["device_id"] = options.GpuDeviceId.ToString(CultureInfo.InvariantCulture),
            ["trt_fp16_enable"] = options.TensorRtFp16 ? "1" : "0",
            ["trt_engine_cache_enable"] = "1",
            ["trt_engine_cache_path"] = engineDir,
            ["trt_timing_cache_enable"] = "1",
            ["trt_timing_cache_path"] = cacheRoot,
        };
        if (options.GpuMemoryLimitMb is { } mb)
            d["trt_max_workspace_size"] = checked(mb * 1024 * 1024).ToString(CultureInfo.InvariantCulture);
        if (dynamicBatchInput is { } input)
        {
            string Shape(int batch) => $"{input.Name}:{batch}x{string.Join("x", input.Dims.Skip(1))}";
            int max = Math.Max(1, options.TensorRtMaxBatch);
            d["trt_profile_min_shapes"] = Shape(1);
            d["trt_profile_opt_shapes"] = Shape(Math.Min(8, max));
            d["trt_profile_max_shapes"] = Shape(max);
        }
        return d;
    }

    /// <summary>The single input's name and dims when only its batch dimension is dynamic, else null.</summary>
    internal static (string Name, long[] Dims)? DynamicBatchInput(byte[] model)
    {
        try
        {
            var info = OnnxModelInfo.Read(model);
            if (info.Inputs.Count != 1 || info.Inputs[0].Shape is not { Count: 4 } shape) return null;
            if (shape[0].Value is > 0) return null;
            if (shape.Skip(1).Any(dim => dim.Value is not > 0)) return null;
            return (info.Inputs[0].Name, shape.Select(dim => dim.Value ?? -1).ToArray());
        }
        catch (PoseTrackException) { return null; }
    }

    /// <summary>
    /// One folder per model and content ("movenet-lightning-3fa1c2d4"): TensorRT names its engine files by the graph's
    /// structure, so two models of the same architecture must not share a folder.
    /// </summary>
    internal static string EngineFolderName(string modelName, byte[] model)
    {
        var safe = new string(modelName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
        return $"{safe}-{Convert.ToHexStringLower(SHA256.HashData(model))[..8]}";
    }

    private static int CountEngines(string dir) =>
        Directory.Exists(dir) ? Directory.EnumerateFiles(dir, "*.engine", SearchOption.AllDirectories).Count() : 0;

    private static SessionOptions BaseOptions(InferenceOptions options, string logId)
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogId = logId,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
        };
        if (options.IntraOpThreads > 0) so.IntraOpNumThreads = options.IntraOpThreads;
        if (options.InterOpThreads > 0) so.InterOpNumThreads = options.InterOpThreads;
        if (options.AllowSpinning is { } spin)
        {
            so.AddSessionConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
            so.AddSessionConfigEntry("session.inter_op.allow_spinning", spin ? "1" : "0");
        }
        return so;
    }

    private static string Name(ExecutionDevice device) => device == ExecutionDevice.TensorRt ? "TensorRT" : "CUDA";

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    private static PoseTrackException Unavailable(ExecutionDevice device, string why) =>
        new($"Device {device.ToString().ToLowerInvariant()} cannot be used: {why}");

    private static void LogChoiceOnce(ILogger logger, string provider, ExecutionDevice requested, string? fallbackReason)
    {
        if (Interlocked.Exchange(ref _loggedChoice, 1) == 1) return;
        string name = provider switch { "cuda" => "CUDA", "tensorrt" => "TensorRT", _ => "CPU" };
        if (requested == ExecutionDevice.Auto && fallbackReason is not null)
            logger.LogInformation("Inference on {Provider} ({Reason})", name, fallbackReason);
        else
            logger.LogInformation("Inference on {Provider}", name);
    }
}
