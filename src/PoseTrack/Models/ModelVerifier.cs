using System.Security.Cryptography;

namespace PoseTrack.Models;

/// <summary>State of a model's file against its manifest entry.</summary>
internal enum ModelFileState
{
    /// <summary>The file's sha256 is the manifest's.</summary>
    Ok,
    /// <summary>The file exists but its sha256 differs.</summary>
    Mismatch,
    /// <summary>The file does not exist.</summary>
    Missing,
    /// <summary>The file exists but cannot be read.</summary>
    Unreadable,
    /// <summary>The file exists; the manifest gives no sha256 to check.</summary>
    Unchecked,
}

/// <summary>Result of checking one model file: state, size and the sha256 found.</summary>
internal sealed record ModelFileCheck(ModelEntry Entry, string Path, ModelFileState State, long Size, string? ActualSha256, string? Error = null)
{
    /// <summary>True unless the file is missing, unreadable or differs from the manifest.</summary>
    public bool IsGood => State is ModelFileState.Ok or ModelFileState.Unchecked;

    /// <summary>"ok", "MISMATCH", "missing file", "unreadable", "unchecked".</summary>
    public string StateText => State switch
    {
        ModelFileState.Ok => "ok",
        ModelFileState.Mismatch => "MISMATCH",
        ModelFileState.Missing => "missing file",
        ModelFileState.Unreadable => "unreadable",
        _ => "unchecked",
    };

    /// <summary>One line saying what is wrong (or right) with the file.</summary>
    public string Describe() => State switch
    {
        ModelFileState.Ok => $"{Entry.Name}: {Path} ok",
        ModelFileState.Mismatch => $"{Entry.Name}: {Path} does not match models.json: sha256 {ActualSha256}, expected {Entry.Sha256}",
        ModelFileState.Missing => $"{Entry.Name}: model file missing: {Path}",
        ModelFileState.Unreadable => $"{Entry.Name}: {Path} cannot be read: {Error}",
        _ => $"{Entry.Name}: {Path} has no sha256 in models.json (not checked)",
    };
}

/// <summary>Recomputes the sha256 of model files (streamed, so large files are not held in memory).</summary>
internal static class ModelVerifier
{
    /// <summary>Checks one entry of <paramref name="manifest"/>.</summary>
    public static ModelFileCheck Check(ModelManifest manifest, ModelEntry entry)
    {
        var path = manifest.PathOf(entry);
        if (!File.Exists(path)) return new ModelFileCheck(entry, path, ModelFileState.Missing, 0, null);
        try
        {
            var size = new FileInfo(path).Length;
            var sha = Sha256OfFile(path);
            var state = string.IsNullOrEmpty(entry.Sha256) ? ModelFileState.Unchecked
                : sha.Equals(entry.Sha256, StringComparison.OrdinalIgnoreCase) ? ModelFileState.Ok : ModelFileState.Mismatch;
            return new ModelFileCheck(entry, path, state, size, sha);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ModelFileCheck(entry, path, ModelFileState.Unreadable, 0, null, e.Message);
        }
    }

    /// <summary>Checks every entry of the manifest, in manifest order.</summary>
    public static IReadOnlyList<ModelFileCheck> CheckAll(ModelManifest manifest) => manifest.Models.Select(m => Check(manifest, m)).ToList();

    /// <summary>Lower-case hex sha256 of a byte array.</summary>
    public static string Sha256Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Lower-case hex sha256 of a file.</summary>
    public static string Sha256OfFile(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }
}
