using System.Runtime.InteropServices;

namespace PoseTrack.Sinks;

/// <summary>What the file system and the process limits leave for an output file to grow by.</summary>
internal static partial class DiskSpace
{
    /// <summary>
    /// Room under which a file system counts as full for a video writer: FFmpeg writes through a 32 KiB buffer, so
    /// less than two buffers left means the next flush is refused (or the one before it was).
    /// </summary>
    public const long FullBelowBytes = 64 * 1024;

    /// <summary>Bytes this process may still write on <paramref name="path"/>'s file system (root may use the reserve); null if unknown.</summary>
    public static long? Available(string path)
    {
        try
        {
            var drive = new DriveInfo(Path.GetDirectoryName(Path.GetFullPath(path))!);
            return Environment.IsPrivilegedProcess ? drive.TotalFreeSpace : drive.AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The process's largest file size in bytes (<c>ulimit -f</c>), or null when unlimited or unknown.</summary>
    public static long? FileSizeLimit()
    {
        if (!OperatingSystem.IsLinux()) return null;
        if (GetRLimit(RlimitFsize, out var limit) != 0) return null;
        return limit.Current == ulong.MaxValue || limit.Current > long.MaxValue ? null : (long)limit.Current;
    }

    private const int RlimitFsize = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit")]
    private static partial int GetRLimit(int resource, out RLimit limit);
}
