using System.Text.Json;
using System.Text.Json.Serialization;
using PoseTrack.Core;

namespace PoseTrack.Models;

/// <summary>What a model is for.</summary>
public enum ModelTask
{
    /// <summary>A person detector.</summary>
    Detector,
    /// <summary>A top-down pose model.</summary>
    Pose,
}

/// <summary>One entry of <c>models/models.json</c>: file, checksum and the exact pre/post-processing contract.</summary>
public sealed record ModelEntry
{
    /// <summary>Short name used on the command line (e.g. "rtmdet-nano").</summary>
    public required string Name { get; init; }
    /// <summary>File name relative to the manifest's folder.</summary>
    public required string File { get; init; }
    /// <summary>Expected sha256 of the file (lower-case hex); empty = not checked.</summary>
    public string Sha256 { get; init; } = "";
    /// <summary>"detector" or "pose".</summary>
    public required string Task { get; init; }
    /// <summary>Model family ("rtmdet", "yolox", "simple-baselines", "rtmpose").</summary>
    public string Family { get; init; } = "";
    /// <summary>Network input size.</summary>
    public required ModelInputSize Input { get; init; }
    /// <summary>"rgb" or "bgr".</summary>
    public string Colour { get; init; } = "rgb";
    /// <summary>Per-channel mean, in the model's colour order, on a 0..255 scale.</summary>
    public float[] Mean { get; init; } = [0, 0, 0];
    /// <summary>Per-channel std, in the model's colour order, on a 0..255 scale.</summary>
    public float[] Std { get; init; } = [1, 1, 1];
    /// <summary>Skeleton name for pose models ("coco17", "mpii16").</summary>
    public string? Skeleton { get; init; }
    /// <summary>Decoder ("heatmap", "simcc", "dets-nms-in-graph").</summary>
    public string Decoder { get; init; } = "";
    /// <summary>Licence of the weights.</summary>
    public string Licence { get; init; } = "";
    /// <summary>Licence note file beside the model.</summary>
    [JsonPropertyName("licence_file")] public string? LicenceFile { get; init; }
    /// <summary>Where the model came from.</summary>
    public string Origin { get; init; } = "";

    /// <summary>Parsed <see cref="Task"/>.</summary>
    [JsonIgnore] public ModelTask TaskKind => Task.Equals("pose", StringComparison.OrdinalIgnoreCase) ? ModelTask.Pose : ModelTask.Detector;
    /// <summary>True when the model expects RGB input (false: BGR).</summary>
    [JsonIgnore] public bool IsRgb => Colour.Equals("rgb", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Network input width and height in pixels.</summary>
public sealed record ModelInputSize(int Width, int Height);

/// <summary>Default model names.</summary>
public sealed record ModelDefaults(string Detector, string Pose);

/// <summary>
/// The model manifest (<c>models.json</c>) of a models folder. Models are resolved by name or by path,
/// and every file is checked against its sha256 before it is loaded.
/// </summary>
public sealed class ModelManifest
{
    /// <summary>The folder the manifest was read from.</summary>
    public string Directory { get; }
    /// <summary>All entries.</summary>
    public IReadOnlyList<ModelEntry> Models { get; }
    /// <summary>Default detector and pose model names.</summary>
    public ModelDefaults Defaults { get; }
    /// <summary>Preset names ("fast", "accurate") and the model each stands for.</summary>
    public IReadOnlyDictionary<string, string> Presets { get; }

    private ModelManifest(string dir, IReadOnlyList<ModelEntry> models, ModelDefaults defaults, IReadOnlyDictionary<string, string> presets)
    { Directory = dir; Models = models; Defaults = defaults; Presets = presets; }

    private sealed record ManifestDto(int Version, ModelDefaults? Defaults, Dictionary<string, string>? Presets, List<ModelEntry>? Models);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>
    /// The models folder shipped next to the running binary (the build copies <c>models/</c> there).
    /// Falls back to a <c>models</c> folder in the current directory.
    /// </summary>
    public static string DefaultDirectory()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "models");
        if (System.IO.Directory.Exists(beside)) return beside;
        return Path.GetFullPath("models");
    }

    /// <summary>Reads <c>models.json</c> from a folder (default: <see cref="DefaultDirectory"/>).</summary>
    public static ModelManifest Load(string? directory = null)
    {
        if (directory is not null && string.IsNullOrWhiteSpace(directory))
            throw new PoseTrackException("models folder name is empty (use --models DIR)");
        var dir = Path.GetFullPath(directory ?? DefaultDirectory());
        if (!System.IO.Directory.Exists(dir))
            throw new PoseTrackException($"models folder not found: {dir} (use --models DIR)");
        var path = Path.Combine(dir, "models.json");
        if (!File.Exists(path))
            throw new PoseTrackException($"model manifest not found: {path}");
        ManifestDto? dto;
        try
        {
            using var s = File.OpenRead(path);
            dto = JsonSerializer.Deserialize<ManifestDto>(s, JsonOptions);
        }
        catch (JsonException e)
        {
            // The message may quote the bad token, line breaks and all.
            throw new PoseTrackException($"model manifest {path} is not valid: {e.Message.ReplaceLineEndings(" ")}");
        }
        catch (IOException e)
        {
            throw new PoseTrackException($"model manifest {path} cannot be read: {e.Message.ReplaceLineEndings(" ")}");
        }
        catch (UnauthorizedAccessException)
        {
            throw new PoseTrackException($"model manifest {path} cannot be read (permission denied)");
        }
        if (dto?.Models is null || dto.Models.Count == 0)
            throw new PoseTrackException($"model manifest {path} lists no models");
        for (int i = 0; i < dto.Models.Count; i++)
        {
            // JSON null passes the deserializer even for required members: every field read later is checked here.
            var m = dto.Models[i] ?? throw new PoseTrackException($"model manifest {path}: models[{i}] is null, not an entry");
            if (string.IsNullOrWhiteSpace(m.Name) || string.IsNullOrWhiteSpace(m.File) || m.Input is null || m.Input.Width <= 0 || m.Input.Height <= 0)
                throw new PoseTrackException($"model manifest {path}: entry '{m.Name}' needs name, file and a positive input size");
            if (m.Task is null || !(m.Task.Equals("detector", StringComparison.OrdinalIgnoreCase) || m.Task.Equals("pose", StringComparison.OrdinalIgnoreCase)))
                throw new PoseTrackException($"model manifest {path}: entry '{m.Name}' needs task \"detector\" or \"pose\"");
            if (m.Colour is null || !(m.Colour.Equals("rgb", StringComparison.OrdinalIgnoreCase) || m.Colour.Equals("bgr", StringComparison.OrdinalIgnoreCase)))
                throw new PoseTrackException($"model manifest {path}: entry '{m.Name}' needs colour \"rgb\" or \"bgr\"");
            if (m.Mean is not { Length: 3 } || m.Std is not { Length: 3 } || m.Std.Any(v => v == 0 || !float.IsFinite(v)) || m.Mean.Any(v => !float.IsFinite(v)))
                throw new PoseTrackException($"model manifest {path}: entry '{m.Name}' needs 3 mean and 3 non-zero std values");
        }
        // A folder may hold only pose or only detector models (e.g. one filled by `posetrack models install`): "" = none,
        // which Resolve reports when such a model is asked for.
        string DefaultOf(string? named, ModelTask task) => named ?? dto.Models.FirstOrDefault(m => m.TaskKind == task)?.Name ?? "";
        var defaults = new ModelDefaults(DefaultOf(dto.Defaults?.Detector, ModelTask.Detector), DefaultOf(dto.Defaults?.Pose, ModelTask.Pose));
        var presets = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, model) in dto.Presets ?? [])
        {
            if (string.IsNullOrWhiteSpace(model)) throw new PoseTrackException($"model manifest {path}: preset '{name}' names no model");
            presets[name] = model;
        }
        return new ModelManifest(dir, dto.Models, defaults, presets);
    }

    /// <summary>
    /// Finds a model by preset ("fast", "accurate"), manifest name, file name, or path to an .onnx file. A path that is not in the
    /// manifest gets the contract of the task's default model and no checksum.
    /// </summary>
    public ModelEntry Resolve(string nameOrPath, ModelTask task)
    {
        if (string.IsNullOrEmpty(nameOrPath))
            throw new PoseTrackException($"model manifest in {Directory} lists no {task.ToString().ToLowerInvariant()} model");
        if (Presets.TryGetValue(nameOrPath, out var preset)) nameOrPath = preset;
        var byName = Models.FirstOrDefault(m => m.Name.Equals(nameOrPath, StringComparison.OrdinalIgnoreCase)
                                                || m.File.Equals(nameOrPath, StringComparison.OrdinalIgnoreCase));
        if (byName is not null)
        {
            if (byName.TaskKind != task)
                throw new PoseTrackException($"model '{nameOrPath}' is a {byName.Task} model, not a {task.ToString().ToLowerInvariant()} model");
            return byName;
        }
        if (nameOrPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) || nameOrPath.Contains('/'))
        {
            var full = Path.GetFullPath(nameOrPath);
            // A user's own model: assume the common contract of its kind (documented in README): for pose models the
            // heatmap family's (RGB, ImageNet mean/std, as Simple Baselines, HRNet and RTMPose exports expect).
            // The template is looked up among the entries only: a default that is itself a path must not recurse.
            string def = task == ModelTask.Pose ? Defaults.Pose : Defaults.Detector;
            if (Presets.TryGetValue(def, out var defPreset)) def = defPreset;
            var template = (task == ModelTask.Pose ? Models.FirstOrDefault(m => m.TaskKind == ModelTask.Pose && m.Decoder == "heatmap") : null)
                           ?? Models.FirstOrDefault(m => m.TaskKind == task && (m.Name.Equals(def, StringComparison.OrdinalIgnoreCase) || m.File.Equals(def, StringComparison.OrdinalIgnoreCase)))
                           ?? Models.First(m => m.TaskKind == task);
            return template with { Name = Path.GetFileNameWithoutExtension(full), File = full, Sha256 = "", Origin = "user file" };
        }
        var names = string.Join(", ", Models.Where(m => m.TaskKind == task).Select(m => m.Name)
            .Concat(task == ModelTask.Pose ? Presets.Keys : []));
        throw new PoseTrackException($"unknown {task.ToString().ToLowerInvariant()} model '{nameOrPath}' (known: {names}; or give a path to an .onnx file)");
    }

    /// <summary>Full path of a model's file.</summary>
    public string PathOf(ModelEntry entry) => Path.IsPathRooted(entry.File) ? entry.File : Path.Combine(Directory, entry.File);

    /// <summary>
    /// Reads a model's bytes and checks them against the manifest's sha256.
    /// Throws <see cref="PoseTrackException"/> when the file is missing, unreadable or does not match.
    /// </summary>
    public byte[] ReadVerified(ModelEntry entry)
    {
        var path = PathOf(entry);
        if (!File.Exists(path))
            throw new PoseTrackException($"model file not found: {path}");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new PoseTrackException($"model file {path} cannot be read: {e.Message}"); }
        if (bytes.Length == 0)
            throw new PoseTrackException($"model file {path} is empty");
        if (!string.IsNullOrEmpty(entry.Sha256))
        {
            var actual = ModelVerifier.Sha256Of(bytes);
            if (!actual.Equals(entry.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new PoseTrackException($"model file {path} is corrupt or not the expected model: sha256 {actual}, expected {entry.Sha256}");
        }
        return bytes;
    }
}
