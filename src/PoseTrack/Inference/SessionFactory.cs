using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using PoseTrack.Core;

namespace PoseTrack.Inference;

/// <summary>
/// Creates ONNX Runtime sessions on the requested execution provider. With <see cref="ExecutionDevice.Auto"/>
/// it tries TensorRT, then CUDA, then CPU, and logs one line saying which provider runs and why it fell back.
/// </summary>
internal static class SessionFactory
{
    private static int _loggedChoice;

    /// <summary>Providers compiled into the loaded ONNX Runtime native library.</summary>
    public static IReadOnlyList<string> AvailableProviders()
    {
        try { return OrtEnv.Instance().GetAvailableProviders(); }
        catch (Exception) { return ["CPUExecutionProvider"]; }
    }

    public static InferenceSession Create(byte[] model, string modelName, InferenceOptions options, ILogger logger, out string provider)
    {
        var available = AvailableProviders();
        bool hasCuda = available.Contains("CUDAExecutionProvider");
        bool hasTrt = available.Contains("TensorrtExecutionProvider");
        const string cpuBuildHint = "this build has the CPU ONNX Runtime package only (build with -p:Gpu=true for CUDA/TensorRT)";

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
            if (device == ExecutionDevice.TensorRt && !hasTrt) { fallbackReason ??= (hasCuda ? "TensorRT provider not available: " : "no GPU provider: ") + cpuBuildHint; if (options.Device == device) throw Unavailable(device, cpuBuildHint); continue; }
            if (device == ExecutionDevice.Cuda && !hasCuda) { fallbackReason ??= "no GPU provider: " + cpuBuildHint; if (options.Device == device) throw Unavailable(device, cpuBuildHint); continue; }
            var so = BaseOptions(options);
            try
            {
                if (device == ExecutionDevice.TensorRt) { so.AppendExecutionProvider_Tensorrt(options.GpuDeviceId); so.AppendExecutionProvider_CUDA(options.GpuDeviceId); }
                else if (device == ExecutionDevice.Cuda) so.AppendExecutionProvider_CUDA(options.GpuDeviceId);
                var session = new InferenceSession(model, so);
                provider = device.ToString().ToLowerInvariant();
                LogChoiceOnce(logger, provider, options.Device, fallbackReason);
                return session;
            }
            catch (OnnxRuntimeException e) when (device != ExecutionDevice.Cpu)
            {
                so.Dispose();
                // A GPU provider compiled in but unusable (no driver, no device): say so, try the next one.
                if (options.Device == device) throw Unavailable(device, e.Message.Split('\n')[0]);
                fallbackReason = $"{device} provider failed to start ({e.Message.Split('\n')[0]})";
            }
            catch (OnnxRuntimeException e)
            {
                so.Dispose();
                throw new PoseTrackException($"model {modelName} cannot be loaded by ONNX Runtime: {e.Message.Split('\n')[0]}");
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException && device != ExecutionDevice.Cpu)
            {
                so.Dispose();
                if (options.Device == device) throw Unavailable(device, cpuBuildHint);
                fallbackReason = $"{device} provider not available: " + cpuBuildHint;
            }
        }
        throw new PoseTrackException($"no usable ONNX Runtime execution provider for model {modelName}");
    }

    private static SessionOptions BaseOptions(InferenceOptions options)
    {
        // ONNX Runtime's own log lines ("[W:onnxruntime:…]") would reach the terminal beside our one-line errors; what
        // matters of a failure is in the exception it throws.
        var so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
        if (options.IntraOpThreads > 0) so.IntraOpNumThreads = options.IntraOpThreads;
        if (options.InterOpThreads > 0) so.InterOpNumThreads = options.InterOpThreads;
        if (options.AllowSpinning is { } spin)
        {
            so.AddSessionConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
            so.AddSessionConfigEntry("session.inter_op.allow_spinning", spin ? "1" : "0");
        }
        return so;
    }

    private static PoseTrackException Unavailable(ExecutionDevice device, string why) =>
        new($"Device {device.ToString().ToLowerInvariant()} cannot be used: {why}");

    private static void LogChoiceOnce(ILogger logger, string provider, ExecutionDevice requested, string? fallbackReason)
    {
        if (Interlocked.Exchange(ref _loggedChoice, 1) == 1) return;
        if (provider == "cpu" && requested == ExecutionDevice.Auto && fallbackReason is not null)
            logger.LogInformation("Inference on CPU ({Reason})", fallbackReason);
        else
            logger.LogInformation("Inference on {Provider}", provider.ToUpperInvariant());
    }
}
