using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using PoseTrack.Inference;

namespace PoseTrack.Tests.Inference;

/// <summary>
/// The GPU variant (-p:Gpu=true, built into bin/gpu/) on a machine without CUDA, and the CPU build's answer to
/// --device cuda: one clear line each, no native log. Under CI the GPU build must already be there (.ci/run builds it
/// with scripts/build-gpu.sh before the tests); elsewhere the first test builds it.
/// </summary>
public sealed class GpuBuildTests
{
    private static string Video => TestData.Shared("data", "video", "vtest_10s.mp4");

    private static readonly Lazy<string> GpuDll = new(LocateGpuBuild);

    private static string LocateGpuBuild()
    {
        string config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
        var dll = Path.Combine(TestData.RepoRoot, "src", "PoseTrack.Cli", "bin", "gpu", config, "net10.0", "PoseTrack.Cli.dll");
        if (Environment.GetEnvironmentVariable("CI") is not null)
        {
            Assert.True(File.Exists(dll), $"the GPU build is missing ({dll}): .ci/run builds it with scripts/build-gpu.sh before the tests (CI is set)");
            return dll;
        }
        var r = CliProcess.RunProgram("dotnet",
            ["build", Path.Combine(TestData.RepoRoot, "src", "PoseTrack.Cli", "PoseTrack.Cli.csproj"), "-c", config, "-p:Gpu=true", "-v", "quiet", "-nologo"],
            TimeSpan.FromMinutes(10), TestData.RepoRoot);
        Assert.True(r.ExitCode == 0 && File.Exists(dll), $"building the GPU variant failed: {r.Stdout}{r.Stderr}");
        return dll;
    }

    private static CliProcess.Result RunGpu(string dir, params string[] args) =>
        CliProcess.RunProgram("dotnet", [GpuDll.Value, .. args], TimeSpan.FromMinutes(3), dir);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Theory]
    [InlineData("cuda")]
    [InlineData("tensorrt")]
    public void GpuBuild_ExplicitDevice_WithoutItsLibraries_OneErrorLineNamingThem_Exit2(string device)
    {
        var missing = device == "cuda" ? GpuLibraries.MissingForCuda() : GpuLibraries.MissingForTensorRt();
        var dir = TestData.TempDir();
        var r = RunGpu(dir, "--input", Video, "--max-frames", "2", "--device", device, "--json", "out.jsonl");
        if (missing is null)
        {
            // A machine with the GPU stack: the device runs (scripts/gpu-check.sh checks its results).
            Assert.True(r.ExitCode == 0, r.Stderr);
            return;
        }
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(Lines(r.Stderr));
        Assert.StartsWith($"posetrack: error: --device {device} cannot be used: ", line);
        Assert.Contains(missing, line);
        Assert.Matches(@"not found: lib\w+\.so\.\d+", line);
        if (device == "tensorrt") Assert.Contains("libnvinfer.so.10", line);
        Assert.DoesNotContain('\u001b', r.Stderr);
    }

    [Fact]
    public void GpuBuild_DeviceAuto_WithoutCuda_OneFallbackLine_NoNativeLog_SameResultsAsCpuBuild()
    {
        var missing = GpuLibraries.MissingForTensorRt();
        var dir = TestData.TempDir();
        var gpu = RunGpu(dir, "--input", Video, "--max-frames", "20", "--device", "auto", "--json", "gpu.jsonl");
        Assert.True(gpu.ExitCode == 0, gpu.Stderr);
        // Every stderr line is one of ours ("posetrack: " prefix), none ONNX Runtime's own (colour codes, "[E:onnxruntime").
        Assert.DoesNotContain('\u001b', gpu.Stderr);
        Assert.DoesNotContain("onnxruntime", gpu.Stderr, StringComparison.OrdinalIgnoreCase);
        // Log lines only (a plain progress line appears when the run takes over 5 s on a loaded machine).
        foreach (var line in Lines(gpu.Stderr)) Assert.Matches("^posetrack: |^progress: frame ", line);
        if (missing is not null)
        {
            var fallback = Assert.Single(Lines(gpu.Stderr), l => l.Contains("Inference on CPU (", StringComparison.Ordinal));
            Assert.Matches(@"not found: lib\w+\.so\.\d+", fallback);

            var cpu = CliProcess.Run(dir, "--input", Video, "--max-frames", "20", "--device", "cpu", "--json", "cpu.jsonl", "-q");
            Assert.True(cpu.ExitCode == 0, cpu.Stderr);
            var same = CliProcess.RunProgram("node", [TestData.Shared("tools", "same-results.js"), "cpu.jsonl", "gpu.jsonl"], TimeSpan.FromMinutes(1), dir);
            Assert.True(same.ExitCode == 0, same.Stdout + same.Stderr);
            Assert.StartsWith("same frames=20 ", same.Stdout);
        }
    }

    [Fact]
    public void CpuBuild_DeviceCuda_SaysItHasNoCudaProvider_Exit2()
    {
        var r = CliProcess.Run(TestData.TempDir(), "--input", Video, "--max-frames", "2", "--device", "cuda", "--json", "out.jsonl");
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(Lines(r.Stderr));
        Assert.Equal($"posetrack: error: --device cuda cannot be used: {SessionFactory.CpuBuildReason}", line);
        Assert.Contains("no CUDA or TensorRT provider", line);
    }

    [Fact]
    public void NativeWarnings_ReachTheLogger_AtDebug_NotTheTerminal()
    {
        // An initializer no node uses: ONNX Runtime warns that it removes it.
        byte[] model = OnnxGraphEditorTests.TinyModel(extraNodes: [], valueInfo: [], middleOp: "Relu", shapeInit: [1, 4]);
        var logger = new ListLogger();
        using var session = SessionFactory.Create(model, "tiny", new InferenceOptions(ExecutionDevice.Cpu), logger, out var provider);
        Assert.Equal("cpu", provider);
        Assert.True(OrtLog.Routed, "the ONNX Runtime environment was created without the logging callback");
        var warning = Assert.Single(logger.Entries, e => e.Message.Contains("Removing initializer", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Debug, warning.Level);
        Assert.StartsWith("ONNX Runtime warning: ", warning.Message);
    }

    [Fact]
    public void MissingLibraries_AreNamedByGroup()
    {
        var missing = GpuLibraries.Missing(GpuLibraries.Cuda, name => name is not ("libcublasLt.so.13" or "libcudnn.so.9"));
        Assert.Equal("CUDA 13 libraries not found: libcublasLt.so.13; cuDNN 9 not found: libcudnn.so.9", GpuLibraries.Describe(missing));
        Assert.Null(GpuLibraries.Describe(GpuLibraries.Missing(GpuLibraries.TensorRt, _ => true)));
    }

    [Fact]
    public void TensorRtOptions_CacheFp16AndBatchProfile()
    {
        var o = new InferenceOptions(ExecutionDevice.TensorRt, GpuDeviceId: 1) { TensorRtFp16 = true, TensorRtMaxBatch = 16, GpuMemoryLimitMb = 512 };
        var d = SessionFactory.TensorRtProviderOptions(o, "/c", "/c/m", ("input", [-1, 3, 192, 256]));
        Assert.Equal("1", d["device_id"]);
        Assert.Equal("1", d["trt_fp16_enable"]);
        Assert.Equal("/c/m", d["trt_engine_cache_path"]);
        Assert.Equal("input:1x3x192x256", d["trt_profile_min_shapes"]);
        Assert.Equal("input:8x3x192x256", d["trt_profile_opt_shapes"]);
        Assert.Equal("input:16x3x192x256", d["trt_profile_max_shapes"]);
        var cuda = SessionFactory.CudaProviderOptions(o with { GpuArenaExtend = GpuArenaExtend.SameAsRequested });
        Assert.Equal("kSameAsRequested", cuda["arena_extend_strategy"]);
        Assert.Equal((512L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), cuda["gpu_mem_limit"]);
        // Two models of one architecture never share an engine folder.
        Assert.NotEqual(SessionFactory.EngineFolderName("m", [1, 2]), SessionFactory.EngineFolderName("m", [1, 3]));
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries) Entries.Add((logLevel, formatter(state, exception)));
        }
    }
}
