using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>
/// The checks that keep a run from destroying a user's files, made before anything is opened: no output is an input
/// or another output (by file identity, so symlinks and hard links count), every output can be created, and no
/// other process is writing one of them. The sinks take the same exclusive lock when they open, so two runs racing
/// past this check still cannot write one file together.
/// </summary>
internal static class OutputSafety
{
    /// <summary>
    /// Throws <see cref="PoseTrackException"/> (one line naming the paths by the caller's <c>Name</c>s) when an
    /// output is the same file as an input or as another output, is a folder, is in a folder that does not exist,
    /// cannot be created, or is locked by another writer. Null paths are ignored; inputs that are not files
    /// (cameras, URLs) never match. Creates nothing: a file made to test writability is removed again.
    /// </summary>
    public static void Check(IEnumerable<(string Name, string? Path)> inputs, IEnumerable<(string Name, string? Path)> outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        var inputKeys = new List<(string Name, string Path, string Key)>();
        foreach (var (name, path) in inputs)
            if (!string.IsNullOrWhiteSpace(path) && (File.Exists(path) || Directory.Exists(path)))
                inputKeys.Add((name, path, FileIdentity.Key(path)));

        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var checkedOutputs = new List<(string Name, string Path)>();
        foreach (var (name, path) in outputs)
        {
            if (path is null) continue;
            if (string.IsNullOrWhiteSpace(path)) throw new PoseTrackException($"{name} needs a file name (got an empty one)");
            var key = FileIdentity.Key(path);
            foreach (var input in inputKeys)
                if (input.Key == key)
                    throw new PoseTrackException($"{name} {path} is the input {input.Name} {input.Path} (the same file): refusing to overwrite it; choose another output name");
            if (seen.TryGetValue(key, out var other))
                throw new PoseTrackException($"{other} and {name} name the same file: {path}");
            seen[key] = name;
            checkedOutputs.Add((name, path));
        }
        foreach (var (name, path) in checkedOutputs) EnsureWritableAndFree(name, path);
    }

    /// <summary>True when the two paths are one file or folder (symlinks and hard links count), or would be created as one.</summary>
    public static bool IsSameFile(string a, string b) => FileIdentity.Key(a) == FileIdentity.Key(b);

    /// <summary>
    /// The one check of an output path, made by <see cref="Check"/> and by every sink and writer when it opens its file:
    /// returns the full path, or throws <see cref="PoseTrackException"/> (one line naming the output by
    /// <paramref name="name"/>) when the path is empty or invalid, is a folder, or is in a folder that does not exist —
    /// cases whose OS errors ("Access denied" for a folder on Linux) do not say what is wrong. Creates nothing.
    /// </summary>
    internal static string CheckPath(string name, string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new PoseTrackException($"{name} needs a file name (got an empty one)");
        string full;
        try { full = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        { throw new PoseTrackException($"{name}: invalid path {path}: {e.Message.ReplaceLineEndings(" ")}", inner: e); }
        if (Directory.Exists(full)) throw new PoseTrackException($"{name} {path} is a folder, not a file");
        var dir = Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir)) throw new PoseTrackException($"{name} {path}: folder {dir} does not exist");
        return full;
    }

    /// <summary>
    /// Whether <paramref name="full"/> can be written: opens it for writing (creating it when missing), writes one byte
    /// into a file it created (a full disk lets an empty file be created but not written), sees whether another
    /// process holds the writer's lock (<paramref name="free"/>), and removes a file it created. Null when it can be
    /// written; else why not, in words.
    /// </summary>
    internal static string? WriteProbe(string full, out bool free)
    {
        free = false;
        bool existed = File.Exists(full);
        try
        {
            using var probe = new FileStream(full, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite);
            if (!existed) { probe.WriteByte(0); probe.Flush(); }
            free = FileIdentity.TryLockExclusive(probe.SafeFileHandle);
            return null;
        }
        catch (UnauthorizedAccessException) { return "permission denied"; }
        catch (IOException e) { return e.Message.ReplaceLineEndings(" "); }
        finally
        {
            if (!existed) try { File.Delete(full); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The output can be created, and no other process holds the writer's lock on it.</summary>
    private static void EnsureWritableAndFree(string name, string path)
    {
        var full = CheckPath(name, path);
        if (WriteProbe(full, out bool free) is { } reason) throw new PoseTrackException($"{name}: cannot write {path}: {reason}");
        if (!free) throw new PoseTrackException($"{name}: {path} is being written by another process; choose another name or wait for that run to end");
    }
}
