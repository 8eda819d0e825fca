using System.Globalization;
using System.Text;
using PoseTrack.Core;
using PoseTrack.Sources;

namespace PoseTrack.Cli;

/// <summary>One input of a run and the name its outputs and summary line use.</summary>
internal sealed record StreamInput(string Name, string Input);

/// <summary>
/// The inputs of a run: every <c>--input</c> and the lines of a <c>--sources</c> file (<c>NAME URL-or-path</c>, or a
/// path alone; <c>#</c> starts a comment), each named by its NAME or its file stem; a name taken already gets a
/// suffix (<c>-2</c>, <c>-3</c> …). Output paths take <c>{name}</c>.
/// </summary>
internal static class StreamInputs
{
    public const string NamePlaceholder = "{name}";

    /// <summary>Names the inputs: given names first come first, clashes suffixed in the order given.</summary>
    public static IReadOnlyList<StreamInput> Name(IEnumerable<(string? Name, string Input)> inputs)
    {
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<StreamInput>();
        foreach (var (given, input) in inputs)
        {
            var stem = Sanitise(given ?? StemOf(input));
            var name = stem;
            for (int k = 2; !taken.Add(name); k++) name = string.Create(CultureInfo.InvariantCulture, $"{stem}-{k}");
            result.Add(new StreamInput(name, input));
        }
        return result;
    }

    /// <summary>Reads a sources file: one source a line, <c>NAME URL-or-path</c> or a path alone; blank lines and <c>#</c> comments skipped.</summary>
    public static List<(string? Name, string Input)> ReadSourcesFile(string path)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new PoseTrackException($"--sources {path}: cannot be read ({e.Message})"); }
        var result = new List<(string?, string)>();
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            int hash = line.IndexOf('#', StringComparison.Ordinal);
            // A '#' inside a URL (a fragment) is not a comment: only one at the start or after a space is.
            if (hash == 0 || (hash > 0 && char.IsWhiteSpace(line[hash - 1]))) line = line[..hash];
            line = line.Trim();
            if (line.Length == 0) continue;
            var parts = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 1) result.Add((null, parts[0]));
            else
            {
                if (parts[1].Any(char.IsWhiteSpace) && !File.Exists(parts[1]) && !Directory.Exists(parts[1]))
                    throw new PoseTrackException($"--sources {path}, line {i + 1}: expected 'NAME URL-or-path' (got '{Secrets.Redact(line)}')");
                result.Add((parts[0], parts[1]));
            }
        }
        if (result.Count == 0) throw new PoseTrackException($"--sources {path}: no sources in the file (one a line: NAME URL-or-path)");
        return result;
    }

    /// <summary>A stream's default name: the file stem of a path or of a URL's path, camera N for a camera index, stdin for standard input.</summary>
    public static string StemOf(string input)
    {
        if (FfmpegSource.IsStdin(input)) return "stdin";
        if (int.TryParse(input, NumberStyles.None, CultureInfo.InvariantCulture, out var camera)) return $"camera{camera}";
        string path = input;
        if (Uri.TryCreate(input, UriKind.Absolute, out var uri) && !uri.IsFile && input.Contains("://", StringComparison.Ordinal))
            path = uri.AbsolutePath.Trim('/') is { Length: > 0 } p ? p : uri.Host;
        var stem = Path.GetFileNameWithoutExtension(path.TrimEnd('/', Path.DirectorySeparatorChar));
        return stem.Length > 0 ? stem : "stream";
    }

    /// <summary>A name usable in a file name: path separators, control characters and the like become '_'.</summary>
    private static string Sanitise(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var sb = new StringBuilder(name.Length);
        foreach (var c in name) sb.Append(invalid.Contains(c) || char.IsControl(c) || c is '{' or '}' ? '_' : c);
        var s = sb.ToString().Trim();
        return s is "" or "." or ".." ? "stream" : s;
    }

    /// <summary>The path with <c>{name}</c> replaced by the stream's name (null stays null).</summary>
    public static string? Expand(string? path, string name) => path?.Replace(NamePlaceholder, name, StringComparison.Ordinal);

    /// <summary>Throws when several streams would write one file: each output given needs <c>{name}</c>.</summary>
    public static void CheckOutputsNamePerStream(int streams, params (string Option, string? Path)[] outputs)
    {
        if (streams < 2) return;
        foreach (var (option, path) in outputs)
            if (path is not null && !path.Contains(NamePlaceholder, StringComparison.Ordinal))
                throw new PoseTrackException($"{streams} inputs but {option} {path} names one file: put {NamePlaceholder} in it (e.g. {option} {Suggest(path)})");
    }

    private static string Suggest(string path)
    {
        var dir = Path.GetDirectoryName(path);
        var ext = Path.GetExtension(path);
        var file = Path.GetFileNameWithoutExtension(path) + "-" + NamePlaceholder + ext;
        return string.IsNullOrEmpty(dir) ? file : Path.Combine(dir, file);
    }
}
