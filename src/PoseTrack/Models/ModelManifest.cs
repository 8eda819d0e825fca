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
    /// <summary>Decoder ("heatmap", "simcc", "movenet", "dets-nms-in-graph"). A pose model whose outputs call for another decoder fails to load; empty = not checked.</summary>
    public string Decoder { get; init; } = "";
    /// <summary>Licence of the weights.</summary>
    public string Licence { get; init; } = "";
    /// <summary>Licence note file beside the model.</summary>
    [JsonPropertyName("licence_file")] public string? LicenceFile { get; init; }
    /// <summary>Where the model came from.</summary>
    public string Origin { get; init; } = "";

    /// <summary>The folder of the manifest this entry was read from, when it is not the manifest's <see cref="ModelManifest.Directory"/> (a user-installed model).</summary>
    [JsonIgnore] internal string? Folder { get; init; }
    /// <summary>True for an entry of the per-user models folder (<see cref="ModelManifest.UserDirectory"/>), merged in beside the shipped ones.</summary>
    [JsonIgnore] internal bool UserInstalled => Folder is not null;

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
    /// <summary>The folder the manifest was read from (the shipped models folder when user-installed models are merged in).</summary>
    public string Directory { get; }
    /// <summary>All entries: the folder's own first, then user-installed ones (<see cref="UserModelsDirectory"/>).</summary>
    public IReadOnlyList<ModelEntry> Models { get; }
    /// <summary>Default detector and pose model names.</summary>
    public ModelDefaults Defaults { get; }
    /// <summary>Preset names ("fast", "accurate") and the model each stands for.</summary>
    public IReadOnlyDictionary<string, string> Presets { get; }
    /// <summary>The per-user models folder whose models were merged in; null when none was (an explicit folder, or nothing installed).</summary>
    public string? UserModelsDirectory { get; }
    /// <summary>User-installed entries left out because a shipped model has the same name (the shipped one wins).</summary>
    internal IReadOnlyList<ModelEntry> Shadowed { get; }

    private ModelManifest(string dir, IReadOnlyList<ModelEntry> models, ModelDefaults defaults, IReadOnlyDictionary<string, string> presets,
                          string? userDir = null, IReadOnlyList<ModelEntry>? shadowed = null)
    { Directory = dir; Models = models; Defaults = defaults; Presets = presets; UserModelsDirectory = userDir; Shadowed = shadowed ?? []; }

    private sealed record ManifestDto(int Version, ModelDefaults? Defaults, Dictionary<string, string>? Presets, List<ModelEntry>? Models);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>
    /// Second manifest of a models folder, read beside <c>models.json</c> when present: the repository's evaluation-only models,
    /// which are never packed or published (so an installed package's <c>models.json</c> lists exactly the files it ships).
    /// </summary>
    public const string EvaluationFileName = "models.evaluation.json";

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

    /// <summary>
    /// The per-user models folder that <c>posetrack models install</c> and <c>import</c> write to: <c>$XDG_DATA_HOME/posetrack/models</c>,
    /// else <c>~/.local/share/posetrack/models</c>. It outlives the tool's own folder, which <c>dotnet tool update</c> replaces.
    /// </summary>
    public static string UserDirectory()
    {
        // The XDG base directory spec: a relative XDG_DATA_HOME is invalid and ignored.
        var root = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(root) || !Path.IsPathRooted(root))
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home)) throw new PoseTrackException("cannot find the per-user models folder: neither XDG_DATA_HOME nor HOME is set (use --models DIR)");
            root = Path.Combine(home, ".local", "share");
        }
        return Path.GetFullPath(Path.Combine(root, "posetrack", "models"));
    }

    /// <summary>
    /// Reads <c>models.json</c> (and <see cref="EvaluationFileName"/> when present) from a folder. With no folder given: the
    /// shipped models (<see cref="DefaultDirectory"/>) plus the user-installed ones (<see cref="UserDirectory"/>, when it has a
    /// <c>models.json</c>); on a name clash the shipped model wins (it is the one the package was tested with, and a user copy
    /// cannot replace it by accident) and the user entry is listed in <see cref="Shadowed"/>.
    /// </summary>
    public static ModelManifest Load(string? directory = null)
    {
        if (directory is not null && string.IsNullOrWhiteSpace(directory))
            throw new PoseTrackException("models folder name is empty (use --models DIR)");
        var shipped = LoadFolder(Path.GetFullPath(directory ?? DefaultDirectory()));
        if (directory is not null) return shipped;
        var userDir = UserDirectory();
        if (PathsEqual(userDir, shipped.Directory) || !File.Exists(Path.Combine(userDir, "models.json"))) return shipped;
        var user = LoadFolder(userDir);
        var models = shipped.Models.ToList();
        var shadowed = new List<ModelEntry>();
        foreach (var m in user.Models)
        {
            if (shipped.Models.Any(s => s.Name.Equals(m.Name, StringComparison.OrdinalIgnoreCase)) || shipped.Presets.ContainsKey(m.Name))
                shadowed.Add(m with { Folder = userDir });
            else models.Add(m with { Folder = userDir });
        }
        var presets = new Dictionary<string, string>(shipped.Presets, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, model) in user.Presets)
            if (!presets.ContainsKey(name) && !shipped.Models.Any(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase))) presets[name] = model;
        // Defaults are the shipped ones unless the shipped folder has no model of that task.
        var defaults = new ModelDefaults(shipped.Defaults.Detector is "" ? user.Defaults.Detector : shipped.Defaults.Detector,
                                         shipped.Defaults.Pose is "" ? user.Defaults.Pose : shipped.Defaults.Pose);
        return new ModelManifest(shipped.Directory, models, defaults, presets, userDir, shadowed);
    }

    internal static bool PathsEqual(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)),
            OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private static ModelManifest LoadFolder(string dir)
    {
        if (!System.IO.Directory.Exists(dir))
            throw new PoseTrackException($"models folder not found: {dir} (use --models DIR)");
        var path = Path.Combine(dir, "models.json");
        if (!File.Exists(path))
            throw new PoseTrackException($"model manifest not found: {path}");
        var dto = ReadDto(path);
        var models = dto.Models!;
        var evalPath = Path.Combine(dir, EvaluationFileName);
        if (File.Exists(evalPath))
        {
            var eval = ReadDto(evalPath);
            foreach (var m in eval.Models!)
            {
                if (models.Any(o => o.Name.Equals(m.Name, StringComparison.OrdinalIgnoreCase)))
                    throw new PoseTrackException($"model manifest {evalPath}: '{m.Name}' is already in {path}");
                models.Add(m);
            }
        }
        // A folder may hold only pose or only detector models (e.g. one filled by `posetrack models install`): "" = none,
        // which Resolve reports when such a model is asked for.
        string DefaultOf(string? named, ModelTask task) => named ?? models.FirstOrDefault(m => m.TaskKind == task)?.Name ?? "";
        var defaults = new ModelDefaults(DefaultOf(dto.Defaults?.Detector, ModelTask.Detector), DefaultOf(dto.Defaults?.Pose, ModelTask.Pose));
        var presets = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, model) in dto.Presets ?? [])
        {
            if (string.IsNullOrWhiteSpace(model)) throw new PoseTrackException($"model manifest {path}: preset '{name}' names no model");
            presets[name] = model;
        }
        return new ModelManifest(dir, models, defaults, presets);
    }

    private static ManifestDto ReadDto(string path)
    {
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
        return dto;
    }

    /// <summary>
    /// The contract a pose model given by path gets: a top-down heatmap model's input (RGB, ImageNet mean/std, COCO-17). No
    /// decoder: a user's own file is decoded as its outputs say (a SimCC or MoveNet file given by path must load too).
    /// </summary>
    internal static ModelEntry HeatmapPoseContract { get; } = new()
    {
        Name = "", File = "", Task = "pose", Family = "", Input = new ModelInputSize(192, 256), Colour = "rgb",
        Mean = [123.675f, 116.28f, 103.53f], Std = [58.395f, 57.12f, 57.375f], Skeleton = "coco17", Decoder = "",
    };

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
            // heatmap family's (RGB, ImageNet mean/std, as Simple Baselines, HRNet and RTMPose exports expect), built in, so it
            // does not hang on an entry a package may not ship; for detectors the default detector's.
            // The template is looked up among the entries only: a default that is itself a path must not recurse.
            string def = task == ModelTask.Pose ? Defaults.Pose : Defaults.Detector;
            if (Presets.TryGetValue(def, out var defPreset)) def = defPreset;
            var template = (task == ModelTask.Pose ? HeatmapPoseContract : null)
                           ?? Models.FirstOrDefault(m => m.TaskKind == task && (m.Name.Equals(def, StringComparison.OrdinalIgnoreCase) || m.File.Equals(def, StringComparison.OrdinalIgnoreCase)))
                           ?? Models.FirstOrDefault(m => m.TaskKind == task)
                           ?? throw new PoseTrackException($"model manifest in {Directory} lists no {task.ToString().ToLowerInvariant()} model to take the contract of {full} from");
            return template with { Name = Path.GetFileNameWithoutExtension(full), File = full, Sha256 = "", Origin = "user file", Folder = null };
        }
        var names = string.Join(", ", Models.Where(m => m.TaskKind == task).Select(m => m.Name)
            .Concat(task == ModelTask.Pose ? Presets.Keys : []));
        throw new PoseTrackException($"unknown {task.ToString().ToLowerInvariant()} model '{nameOrPath}' (known: {names}; or give a path to an .onnx file)");
    }

    /// <summary>Full path of a model's file.</summary>
    public string PathOf(ModelEntry entry) => Path.IsPathRooted(entry.File) ? entry.File : Path.Combine(entry.Folder ?? Directory, entry.File);

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
