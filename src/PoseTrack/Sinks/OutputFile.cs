using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>Opening output files with the user-facing error messages every sink shares (the path itself is checked by <see cref="OutputSafety.CheckPath"/>).</summary>
internal static class OutputFile
{
    /// <summary>
    /// Creates (or truncates) <paramref name="path"/> for writing, readable by other processes meanwhile so a
    /// report can follow a running job. Unbuffered: every Write is one system call, so a killed process leaves
    /// exactly the bytes of the Writes that returned.
    /// The file is opened without truncating, locked for this writer alone (<see cref="FileIdentity.TryLockExclusive"/>),
    /// and only then emptied: a second run aimed at a file another run is writing fails without touching it.
    /// </summary>
    public static FileStream Create(string path, string what)
    {
        var full = OutputSafety.CheckPath(what, path);
        var stream = Guard(path, what, () => new FileStream(full, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, bufferSize: 0));
        try
        {
            LockOrThrow(stream.SafeFileHandle, path, what);
            Guard(path, what, () => { stream.SetLength(0); return 0; });
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/> only to hold the exclusive writer's lock for as long as the returned stream is
    /// open, for outputs that a native library writes by name (the video). Creates the file if missing; <paramref
    /// name="created"/> says so, so a failed start can remove it again.
    /// </summary>
    public static FileStream Lock(string path, string what, out bool created)
    {
        var full = OutputSafety.CheckPath(what, path);
        created = !File.Exists(full);
        var stream = Guard(path, what, () => new FileStream(full, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0));
        try { LockOrThrow(stream.SafeFileHandle, path, what); }
        catch
        {
            stream.Dispose();
            throw;
        }
        return stream;
    }

    /// <summary>Takes the writer's lock on an open output, or throws naming the file when another process holds it.</summary>
    public static void LockOrThrow(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path, string what)
    {
        if (!FileIdentity.TryLockExclusive(handle))
            throw new PoseTrackException($"Cannot write {what} '{path}': it is being written by another process.");
    }

    /// <summary>Runs an open/create call, turning the OS errors into a <see cref="PoseTrackException"/> naming the path.</summary>
    public static T Guard<T>(string path, string what, Func<T> open)
    {
        try { return open(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new PoseTrackException($"Cannot write {what} '{path}': {Reason(e)}", inner: e); }
    }

    /// <summary>A write failure mid-run (disk full, file system gone) as a user-facing error.</summary>
    public static PoseTrackException WriteFailed(string path, string what, Exception e)
        => new($"Writing {what} '{path}' failed: {Reason(e)}", inner: e);

    /// <summary>
    /// True for the exceptions a write to an open file throws when the file system refuses it: IOException (disk
    /// full, I/O error) and, for EFBIG (a file-size limit, <c>ulimit -f</c>, or the file system's largest file),
    /// the ArgumentOutOfRangeException .NET maps that error to.
    /// </summary>
    public static bool IsWriteFailure(Exception e) => e is IOException or ArgumentOutOfRangeException;

    private static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied.",
        DirectoryNotFoundException => "folder does not exist.",
        ArgumentOutOfRangeException => "the file would exceed the largest file size allowed (file-size limit, ulimit -f, or the file system's maximum).",
        _ => e.Message.ReplaceLineEndings(" "),
    };
}
