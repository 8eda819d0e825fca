using System.Runtime.InteropServices;

namespace PoseTrack.Cli;

/// <summary>
/// A process started with stdin, stdout or stderr closed (<c>posetrack … &gt;&amp;-</c>) would hand that descriptor
/// number to the next file it opens, and a console write would then fail (or land in an output file). Each closed one
/// is pointed at /dev/null first, so the run completes its outputs and exits with its usual code. A pipe whose reader
/// has gone (<c>| head -c0</c>) needs nothing: .NET ignores SIGPIPE and drops console writes that fail with EPIPE.
/// </summary>
internal static partial class StandardStreams
{
    private const int FGetFd = 1;   // F_GETFD, Linux and macOS
    private const int ORdWr = 2;    // O_RDWR, Linux and macOS

    public static void EnsureOpen()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        for (int fd = 0; fd <= 2; fd++)
        {
            if (Fcntl(fd, FGetFd) != -1) continue;
            int devNull = Open("/dev/null", ORdWr);
            if (devNull < 0) return;
            if (devNull != fd)
            {
                _ = Dup2(devNull, fd);
                _ = Close(devNull);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(int fd, int cmd);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "dup2")]
    private static partial int Dup2(int from, int to);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
