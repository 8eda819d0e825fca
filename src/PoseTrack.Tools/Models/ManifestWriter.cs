using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using PoseTrack.Core;

namespace PoseTrack.Models;

/// <summary>
/// Adds or replaces entries of a folder's <c>models.json</c>. The file is edited as a JSON tree, so fields this version does
/// not know (e.g. a detector's <c>letterbox</c>) are kept, and written back in the file's own layout (small objects and
/// number lists on one line), so a rewrite changes only the lines of the entry it touches. The new text goes to a temporary
/// file in the same folder that is then renamed over <c>models.json</c>: readers see the old or the new file, never half of one.
/// </summary>
internal static class ManifestWriter
{
    /// <summary>File name of the manifest inside a models folder.</summary>
    public const string FileName = "models.json";

    private static readonly JsonSerializerOptions EntryOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private static readonly JsonSerializerOptions ValueOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The manifest entry as JSON (camelCase, <c>licence_file</c>, no nulls), in <see cref="ModelEntry"/>'s field order.</summary>
    public static JsonObject ToJson(ModelEntry entry, IReadOnlyDictionary<string, JsonNode>? extra = null)
    {
        var o = JsonSerializer.SerializeToNode(entry, EntryOptions)!.AsObject();
        if (extra is null || extra.Count == 0) return o;
        // Extra fields (a detector's letterbox) go after std, where the shipped manifest has them.
        var result = new JsonObject();
        foreach (var (k, v) in o.ToList())
        {
            o.Remove(k);
            result[k] = v;
            if (k == "std")
                foreach (var (ek, ev) in extra) result[ek] = ev.DeepClone();
        }
        foreach (var (ek, ev) in extra)
            if (!result.ContainsKey(ek)) result[ek] = ev.DeepClone();
        return result;
    }

    /// <summary>Reads <c>models.json</c> of <paramref name="directory"/> as a JSON tree; a new manifest when there is none.</summary>
    public static JsonObject Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return new JsonObject { ["version"] = 1, ["models"] = new JsonArray() };
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (node is not JsonObject o) throw new PoseTrackException($"model manifest {path} is not a JSON object");
            if (o["models"] is null) o["models"] = new JsonArray();
            else if (o["models"] is not JsonArray) throw new PoseTrackException($"model manifest {path}: \"models\" is not a list");
            return o;
        }
        catch (JsonException e) { throw new PoseTrackException($"model manifest {path} is not valid: {e.Message}", inner: e); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new PoseTrackException($"model manifest {path} cannot be read: {e.Message}", inner: e); }
    }

    /// <summary>
    /// Adds <paramref name="entry"/> to the manifest of <paramref name="directory"/> (creating the manifest if needed), or replaces
    /// the entry of the same name, and writes the manifest atomically.
    /// </summary>
    public static void Upsert(string directory, JsonObject entry)
    {
        var name = entry["name"]?.GetValue<string>() ?? throw new ArgumentException("entry has no name", nameof(entry));
        var doc = Read(directory);
        var models = doc["models"]!.AsArray();
        int at = -1;
        for (int i = 0; i < models.Count; i++)
            if (models[i] is JsonObject m && string.Equals(m["name"]?.GetValue<string>(), name, StringComparison.OrdinalIgnoreCase)) { at = i; break; }
        if (at >= 0) models[at] = entry;
        else models.Add(entry);
        WriteAtomically(Path.Combine(directory, FileName), Format(doc));
    }

    /// <summary>Writes <paramref name="text"/> to a temporary file beside <paramref name="path"/>, flushes it to disk and renames it over the file.</summary>
    public static void WriteAtomically(string path, string text)
    {
        string? tmp = null;
        try
        {
            tmp = WriteTemporaryBeside(path, new UTF8Encoding(false).GetBytes(text));
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (tmp is not null) TryDelete(tmp);
            throw new PoseTrackException($"cannot write {path}: {e.Message}", inner: e);
        }
        catch
        {
            if (tmp is not null) TryDelete(tmp);
            throw;
        }
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> to a new temporary file beside <paramref name="path"/>, flushed to disk, and
    /// returns its path for the caller to move into place (a failed write leaves no temporary file).
    /// </summary>
    internal static string WriteTemporaryBeside(string path, ReadOnlySpan<byte> bytes)
    {
        var tmp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write);
            fs.Write(bytes);
            fs.Flush(flushToDisk: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
        return tmp;
    }

    /// <summary>
    /// Formats a manifest like the shipped one: two-space indent; number/string lists and objects of up to three plain values on
    /// one line (<c>"input": { "width": 192, "height": 192 }</c>); everything else one field per line; a final newline.
    /// </summary>
    public static string Format(JsonNode node)
    {
        var sb = new StringBuilder();
        Write(sb, node, 0);
        sb.Append('\n');
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JsonNode? node, int indent)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject o when o.Count == 0:
                sb.Append("{}");
                break;
            case JsonObject o when o.Count <= 3 && o.All(kv => kv.Value is null or JsonValue):
                sb.Append("{ ");
                sb.AppendJoin(", ", o.Select(kv => Quote(kv.Key) + ": " + (kv.Value is null ? "null" : kv.Value.ToJsonString(ValueOptions))));
                sb.Append(" }");
                break;
            case JsonObject o:
                sb.Append("{\n");
                int n = 0;
                foreach (var (k, v) in o)
                {
                    sb.Append(' ', indent + 2).Append(Quote(k)).Append(": ");
                    Write(sb, v, indent + 2);
                    if (++n < o.Count) sb.Append(',');
                    sb.Append('\n');
                }
                sb.Append(' ', indent).Append('}');
                break;
            case JsonArray a when a.Count == 0:
                sb.Append("[]");
                break;
            case JsonArray a when a.All(v => v is null or JsonValue):
                sb.Append('[');
                sb.AppendJoin(", ", a.Select(v => v is null ? "null" : v.ToJsonString(ValueOptions)));
                sb.Append(']');
                break;
            case JsonArray a:
                sb.Append("[\n");
                for (int i = 0; i < a.Count; i++)
                {
                    sb.Append(' ', indent + 2);
                    Write(sb, a[i], indent + 2);
                    if (i < a.Count - 1) sb.Append(',');
                    sb.Append('\n');
                }
                sb.Append(' ', indent).Append(']');
                break;
            default:
                sb.Append(node.ToJsonString(ValueOptions));
                break;
        }
    }

    private static string Quote(string s) => JsonSerializer.Serialize(s, ValueOptions);

    /// <summary>Deletes a file, ignoring failures (clean-up on an error path).</summary>
    internal static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
