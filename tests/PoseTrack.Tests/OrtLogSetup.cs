using System.Runtime.CompilerServices;

namespace PoseTrack.Tests;

internal static class OrtLogSetup
{
    /// <summary>
    /// Some tests open ONNX Runtime sessions directly; the process-wide environment is created first, here, the way
    /// the library creates it (with its logging callback), so the log-routing test sees what the CLI does.
    /// </summary>
#pragma warning disable CA2255 // a test assembly, not a library
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void CreateEnvironment() => PoseTrack.Inference.OrtLog.Environment();
}
