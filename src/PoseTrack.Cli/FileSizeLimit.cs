using System.Runtime.InteropServices;

namespace PoseTrack.Cli;

/// <summary>
/// A file-size limit (<c>ulimit -f</c>, or a file system's own limit) makes the kernel send SIGXFSZ, whose default
/// action kills the process in the middle of a write, leaving a cut line and no message. Ignored, the write fails
/// with EFBIG instead, which the sinks report as one line while keeping what was written so far valid.
/// </summary>
internal static partial class FileSizeLimit
{
    private const int SigXfsz = 25;        // Linux (x86, ARM) and macOS
    private static readonly nint SigIgn = 1;

    public static void IgnoreSignal()
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) _ = Signal(SigXfsz, SigIgn);
    }

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint Signal(int signal, nint handler);
}
