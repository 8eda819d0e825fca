using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>
/// The checks that keep a run from destroying a user's files, made before anything is opened: no output is an input
/// or another output (by file identity, so symlinks and hard links count), every output can be created, and no
/// other process is writing one of them. The sinks take the same exclusive lock when they open, so two runs racing
/// past this check still cannot write one file together.
/// </summary>
public static class OutputSafety
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

    /// <summary>The output can be created, and no other process holds the writer's lock on it.</summary>
    private static void EnsureWritableAndFree(string name, string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new PoseTrackException($"{name}: output path is a folder, not a file: {path}");
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new PoseTrackException($"{name}: output folder does not exist: {dir}");
        bool existed = File.Exists(full);
        bool free;
        try
        {
            using var probe = new FileStream(full, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite);
            free = FileIdentity.TryLockExclusive(probe.SafeFileHandle);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new PoseTrackException($"{name}: cannot write {path}: {e.Message.ReplaceLineEndings(" ")}");
        }
        finally
        {
            if (!existed) try { File.Delete(full); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        if (!free) throw new PoseTrackException($"{name}: {path} is being written by another process; choose another name or wait for that run to end");
    }
}
