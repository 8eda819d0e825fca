using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PoseTrack.Sinks;

/// <summary>
/// What makes two paths the same file, and the lock that makes one process the only writer of a file. Linux
/// facts (the product's platform); elsewhere identity falls back to the full path and locking to nothing.
/// </summary>
internal static partial class FileIdentity
{
    /// <summary>
    /// A key equal for two paths exactly when writing one changes the other: the device and inode of an existing
    /// file (so symlinks, hard links and <c>..</c> detours all count), else the identity of the folder it would be
    /// created in plus its name (the target's, for a dangling symlink).
    /// </summary>
    public static string Key(string path)
    {
        var full = Path.GetFullPath(path);
        if (TryDeviceInode(full, out var id)) return id;
        // Not there yet: a dangling symlink is created where it points.
        try
        {
            if (new FileInfo(full).LinkTarget is { } target)
                full = Path.GetFullPath(target, Path.GetDirectoryName(full)!);
        }
        catch (IOException) { }
        var dir = Path.GetDirectoryName(full);
        var name = Path.GetFileName(full);
        return dir is not null && TryDeviceInode(dir, out var dirId) ? dirId + "/" + name : full;
    }

    /// <summary>True when <paramref name="path"/> exists; <paramref name="id"/> is "dev:ino" (Linux) or the full path.</summary>
    private static unsafe bool TryDeviceInode(string path, out string id)
    {
        id = "";
        if (!OperatingSystem.IsLinux())
        {
            if (!File.Exists(path) && !Directory.Exists(path)) return false;
            id = Path.GetFullPath(path);
            return true;
        }
        // struct stat starts with st_dev and st_ino (both 64-bit) on x86-64 and arm64 Linux; it is under 256 bytes.
        byte* buffer = stackalloc byte[256];
        if (Stat(path, buffer) != 0) return false;
        id = $"{*(ulong*)buffer}:{*(ulong*)(buffer + 8)}";
        return true;
    }

    /// <summary>
    /// Takes an exclusive lock on the whole open file, without waiting: true when taken (or when the platform has no
    /// such lock), false when another open of the file holds it. An open-file-description lock (Linux
    /// <c>F_OFD_SETLK</c>): it belongs to this handle, is released when the handle closes (also when the process
    /// dies), and other opens of the file in this process do not release it — unlike the classic per-process lock.
    /// It does not conflict with .NET's own <c>flock</c> share locks, so readers (a report following a running
    /// log) are not shut out; only another writer asking for this lock is.
    /// </summary>
    public static bool TryLockExclusive(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux()) return true;
        var request = new Flock { Type = WriteLock, Whence = 0, Start = 0, Length = 0, Pid = 0 };
        if (Fcntl(handle, OfdSetLock, ref request) == 0) return true;
        int errno = Marshal.GetLastPInvokeError();
        if (errno is EAGAIN or EACCES) return false;
        return true; // a file system without locks (some network mounts): writing still works, unguarded
    }

    private const int OfdSetLock = 37;  // F_OFD_SETLK
    private const short WriteLock = 1;  // F_WRLCK
    private const int EACCES = 13, EAGAIN = 11;

    [StructLayout(LayoutKind.Sequential)]
    private struct Flock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Length;
        public int Pid;
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Stat(string path, byte* buffer);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(SafeFileHandle fd, int command, ref Flock request);
}
