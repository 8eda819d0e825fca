using PoseTrack.Core;

namespace PoseTrack.Cli;

/// <summary>Checks made before any work starts, so a bad output path fails at once and not after an hour of video.</summary>
internal static class OutputPaths
{
    /// <summary>Throws when the file's folder is missing or the file cannot be created.</summary>
    public static void EnsureWritable(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new PoseTrackException("an output file name is empty");
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new PoseTrackException($"output path is a folder, not a file: {path}");
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new PoseTrackException($"output folder does not exist: {dir}");
        try
        {
            bool existed = File.Exists(full);
            using (new FileStream(full, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite)) { }
            if (!existed) File.Delete(full);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new PoseTrackException($"cannot write {path}: {e.Message}");
        }
    }

    /// <summary>Throws when two outputs name the same file (one would overwrite the other).</summary>
    public static void EnsureDistinct(params (string Option, string? Path)[] outputs)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (option, path) in outputs)
        {
            if (path is null) continue;
            if (string.IsNullOrWhiteSpace(path)) throw new PoseTrackException($"{option} needs a file name (got an empty one)");
            var full = Path.GetFullPath(path);
            if (seen.TryGetValue(full, out var other))
                throw new PoseTrackException($"{other} and {option} name the same file: {path}");
            seen[full] = option;
        }
    }
}
