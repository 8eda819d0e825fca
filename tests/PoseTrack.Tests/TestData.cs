namespace PoseTrack.Tests;

/// <summary>
/// Locates the repository root and the shared data folder (../shared beside the checkout).
/// When CI is set and the shared data is missing, <see cref="Shared"/> throws so integration tests FAIL instead of skipping.
/// </summary>
internal static class TestData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PoseTrack.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("PoseTrack.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Path of a file or folder under ../shared; throws (never skips) when it is missing.</summary>
    public static string Shared(params string[] parts)
    {
        var root = Environment.GetEnvironmentVariable("POSETRACK_SHARED")
                   ?? Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
        var path = Path.Combine([root, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException(
                $"Shared test data missing: {path}. Integration tests need ../shared beside the checkout (CI={Environment.GetEnvironmentVariable("CI") ?? "unset"}).");
        return path;
    }

    /// <summary>The shipped models folder of the repository.</summary>
    public static string ModelsDir => Path.Combine(RepoRoot, "models");

    /// <summary>
    /// The lines of a JSON lines log without its closing summary record (<c>{"type":"summary",…}</c>): the header
    /// first, then the frame (and gap) lines, so that line i ≥ 1 is still frame i − 1 of a run without gaps.
    /// </summary>
    public static string[] LogLines(string path)
        => File.ReadAllLines(path).Where(l => !l.StartsWith("{\"type\":\"summary\"", StringComparison.Ordinal)).ToArray();

    /// <summary>A fresh empty temporary folder, deleted with the process where possible.</summary>
    public static string TempDir(string prefix = "pt")
    {
        var d = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        return d;
    }
}
