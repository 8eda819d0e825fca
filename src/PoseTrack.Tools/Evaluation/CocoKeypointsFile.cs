using System.Globalization;
using System.Text;
using System.Text.Json;
using PoseTrack.Core;

namespace PoseTrack.Evaluation;

/// <summary>An image entry of a COCO annotation file.</summary>
/// <param name="Id">COCO image id.</param>
/// <param name="FileName">The image's file name (relative to the image folder).</param>
/// <param name="Width">Image width in pixels; 0 when the file does not give it.</param>
/// <param name="Height">Image height in pixels; 0 when the file does not give it.</param>
public sealed record CocoImage(long Id, string FileName, int Width, int Height);

/// <summary>A COCO box in double precision (the evaluation works in float64 like pycocotools).</summary>
/// <param name="X">Left edge.</param>
/// <param name="Y">Top edge.</param>
/// <param name="Width">Width.</param>
/// <param name="Height">Height.</param>
public readonly record struct CocoBox(double X, double Y, double Width, double Height);

/// <summary>One ground-truth person annotation of a COCO person_keypoints file.</summary>
/// <param name="Id">Annotation id.</param>
/// <param name="ImageId">Id of the image it belongs to.</param>
/// <param name="CategoryId">Category (1 = person).</param>
/// <param name="Bbox">The person box [x, y, w, h].</param>
/// <param name="Area">Segment area; it sets the OKS scale and the area range.</param>
/// <param name="IsCrowd">Crowd region: ignored by the evaluation.</param>
/// <param name="NumKeypoints">Labelled keypoints as stated in the file; 0 makes the annotation ignored.</param>
/// <param name="Keypoints">Flat [x, y, v] × 17; v = 0 not labelled, 1 labelled hidden, 2 visible.</param>
public sealed record CocoKeypointAnnotation(
    long Id, long ImageId, int CategoryId, CocoBox Bbox, double Area, bool IsCrowd, int NumKeypoints, double[] Keypoints);

/// <summary>A COCO person_keypoints ground-truth file: images, person annotations and category ids.</summary>
public sealed class CocoKeypointsFile
{
    /// <summary>Joints per person in the COCO keypoint format.</summary>
    public const int JointCount = 17;

    /// <summary>Where the file was read from (used in error messages).</summary>
    public string Source { get; }

    /// <summary>The images in file order.</summary>
    public IReadOnlyList<CocoImage> Images { get; }

    /// <summary>The annotations in file order.</summary>
    public IReadOnlyList<CocoKeypointAnnotation> Annotations { get; }

    /// <summary>Category ids, sorted ascending: from 'categories' when present, else from the annotations.</summary>
    public IReadOnlyList<int> CategoryIds { get; }

    private readonly Dictionary<long, CocoImage> _imagesById;

    /// <summary>Builds a ground-truth set in memory.</summary>
    /// <exception cref="PoseTrackException">Two images share an id, or a keypoint array has the wrong length.</exception>
    public CocoKeypointsFile(string source, IReadOnlyList<CocoImage> images,
        IReadOnlyList<CocoKeypointAnnotation> annotations, IReadOnlyList<int>? categoryIds = null)
    {
        Source = source;
        Images = images;
        Annotations = annotations;
        _imagesById = new Dictionary<long, CocoImage>(images.Count);
        foreach (var im in images)
            if (!_imagesById.TryAdd(im.Id, im))
                throw new PoseTrackException($"{source}: image id {im.Id} occurs more than once in 'images'");
        foreach (var a in annotations)
            if (a.Keypoints.Length != 3 * JointCount)
                throw new PoseTrackException(
                    $"{source}: annotation id {a.Id} has {a.Keypoints.Length} keypoint numbers, expected {3 * JointCount} ([x, y, v] × {JointCount})");
        CategoryIds = (categoryIds ?? annotations.Select(a => a.CategoryId).ToArray()).Distinct().Order().ToArray();
    }

    /// <summary>The image with the given id, or null.</summary>
    public CocoImage? FindImage(long id) => _imagesById.GetValueOrDefault(id);

    /// <summary>Reads a COCO person_keypoints JSON file.</summary>
    /// <exception cref="PoseTrackException">The file is missing, not JSON, or lacks a required field.</exception>
    public static CocoKeypointsFile Load(string path)
    {
        using var doc = CocoJson.Open(path);
        return FromJson(doc.RootElement, Path.GetFileName(path));
    }

    /// <summary>Parses COCO person_keypoints JSON text; <paramref name="sourceName"/> names it in errors.</summary>
    /// <exception cref="PoseTrackException">The text is not JSON or lacks a required field.</exception>
    public static CocoKeypointsFile Parse(string json, string sourceName)
    {
        using var doc = CocoJson.ParseText(json, sourceName);
        return FromJson(doc.RootElement, sourceName);
    }

    private static CocoKeypointsFile FromJson(JsonElement root, string src)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new PoseTrackException($"{src}: expected a JSON object with 'images' and 'annotations', found {CocoJson.Kind(root)}");

        var imagesEl = CocoJson.RequiredArray(root, "images", src, "the file");
        var images = new List<CocoImage>(imagesEl.GetArrayLength());
        int i = 0;
        foreach (var im in imagesEl.EnumerateArray())
        {
            string where = $"images[{i++}]";
            CocoJson.RequireObject(im, src, where);
            long id = CocoJson.RequiredId(im, "id", src, where);
            where += $" (id {id})";
            string file = CocoJson.RequiredString(im, "file_name", src, where);
            // width/height are informative only; hand-made GT files often leave them out.
            int w = CocoJson.OptionalInt(im, "width", src, where);
            int h = CocoJson.OptionalInt(im, "height", src, where);
            images.Add(new CocoImage(id, file, w, h));
        }

        var annsEl = CocoJson.RequiredArray(root, "annotations", src, "the file");
        var anns = new List<CocoKeypointAnnotation>(annsEl.GetArrayLength());
        i = 0;
        foreach (var a in annsEl.EnumerateArray())
        {
            string where = $"annotations[{i++}]";
            CocoJson.RequireObject(a, src, where);
            long id = CocoJson.RequiredId(a, "id", src, where);
            where += $" (id {id})";
            long imageId = CocoJson.RequiredId(a, "image_id", src, where);
            int cat = CocoJson.RequiredInt(a, "category_id", src, where);
            var bb = CocoJson.RequiredNumbers(a, "bbox", 4, src, where, "[x, y, w, h]");
            double area = CocoJson.RequiredNumber(a, "area", src, where);
            bool crowd = CocoJson.RequiredFlag(a, "iscrowd", src, where);
            int numKp = CocoJson.RequiredInt(a, "num_keypoints", src, where);
            var kps = CocoJson.RequiredNumbers(a, "keypoints", 3 * JointCount, src, where, $"[x, y, v] × {JointCount}");
            anns.Add(new CocoKeypointAnnotation(id, imageId, cat, new CocoBox(bb[0], bb[1], bb[2], bb[3]), area, crowd, numKp, kps));
        }

        List<int>? cats = null;
        if (root.TryGetProperty("categories", out var catsEl))
        {
            if (catsEl.ValueKind != JsonValueKind.Array)
                throw new PoseTrackException($"{src}: 'categories' must be a list, found {CocoJson.Kind(catsEl)}");
            cats = [];
            i = 0;
            foreach (var c in catsEl.EnumerateArray())
            {
                string where = $"categories[{i++}]";
                CocoJson.RequireObject(c, src, where);
                cats.Add(CocoJson.RequiredInt(c, "id", src, where));
            }
        }
        return new CocoKeypointsFile(src, images, anns, cats);
    }
}

/// <summary>One detected person in the standard COCO keypoint results format.</summary>
/// <param name="ImageId">COCO image id.</param>
/// <param name="CategoryId">Category (1 = person).</param>
/// <param name="Keypoints">Flat [x, y, score] × 17 in image pixels.</param>
/// <param name="Score">The person's score; detections are ranked by it.</param>
public sealed record CocoKeypointResult(long ImageId, int CategoryId, double[] Keypoints, double Score)
{
    /// <summary>The result for a COCO-17 person: keypoints with their scores, and <see cref="Person.Score"/>.</summary>
    /// <exception cref="ArgumentException">The person does not have 17 keypoints.</exception>
    public static CocoKeypointResult FromPerson(long imageId, Person person)
    {
        ArgumentNullException.ThrowIfNull(person);
        if (person.Keypoints.Length != CocoKeypointsFile.JointCount)
            throw new ArgumentException(
                $"COCO results need {CocoKeypointsFile.JointCount} keypoints per person, this one has {person.Keypoints.Length} ({person.Skeleton.Name})",
                nameof(person));
        var kp = new double[3 * CocoKeypointsFile.JointCount];
        for (int j = 0; j < person.Keypoints.Length; j++)
        {
            kp[3 * j] = person.Keypoints[j].X;
            kp[3 * j + 1] = person.Keypoints[j].Y;
            kp[3 * j + 2] = person.Keypoints[j].Score;
        }
        return new CocoKeypointResult(imageId, 1, kp, person.Score);
    }
}

/// <summary>Reads and writes the standard COCO keypoint results list
/// <c>[{"image_id", "category_id", "keypoints": [x, y, s] × 17, "score"}]</c>.</summary>
public static class CocoResultsFile
{
    /// <summary>Writes results to a file (compact, invariant culture, round-trip precision).</summary>
    /// <exception cref="ArgumentException">A result has a non-finite number or the wrong keypoint count.</exception>
    public static void Write(string path, IEnumerable<CocoKeypointResult> results)
    {
        var json = ToJson(results); // checks every result before the file is touched
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.WriteAllText(path, json, new UTF8Encoding(false));
    }

    /// <summary>
    /// The results as COCO results JSON text, each result the flat person of the shared JSON schema
    /// (<see cref="PoseTrack.Sinks.PoseJson.CocoResult"/>) at full precision: "R"-style shortest round-trip numbers, so a
    /// written file evaluates exactly as the results in memory.
    /// </summary>
    /// <exception cref="ArgumentException">A result has a non-finite number or the wrong keypoint count.</exception>
    public static string ToJson(IEnumerable<CocoKeypointResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var list = new List<PoseTrack.Sinks.KeypointAnnotationJson>();
        foreach (var r in results)
        {
            if (r.Keypoints.Length != 3 * CocoKeypointsFile.JointCount)
                throw new ArgumentException($"result {list.Count} has {r.Keypoints.Length} keypoint numbers, expected {3 * CocoKeypointsFile.JointCount}", nameof(results));
            // JSON has no NaN/Infinity, and pycocotools would choke on a null: refused.
            list.Add(PoseTrack.Sinks.PoseJson.CocoResult(r.ImageId, r.CategoryId, r.Keypoints, r.Score, $"result {list.Count}"));
        }
        using var stream = new MemoryStream();
        PoseTrack.Sinks.PoseJson.Write(stream, list, PoseTrack.Sinks.PoseJsonContext.Default.IEnumerableKeypointAnnotationJson);
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length) + "\n";
    }

    /// <summary>Reads a COCO keypoint results file.</summary>
    /// <exception cref="PoseTrackException">The file is missing, not JSON, or an entry is malformed.</exception>
    public static IReadOnlyList<CocoKeypointResult> Load(string path)
    {
        using var doc = CocoJson.Open(path);
        return FromJson(doc.RootElement, Path.GetFileName(path));
    }

    /// <summary>Parses COCO keypoint results JSON text; <paramref name="sourceName"/> names it in errors.</summary>
    /// <exception cref="PoseTrackException">The text is not JSON or an entry is malformed.</exception>
    public static IReadOnlyList<CocoKeypointResult> Parse(string json, string sourceName)
    {
        using var doc = CocoJson.ParseText(json, sourceName);
        return FromJson(doc.RootElement, sourceName);
    }

    private static List<CocoKeypointResult> FromJson(JsonElement root, string src)
    {
        if (root.ValueKind != JsonValueKind.Array)
            throw new PoseTrackException($"{src}: expected a JSON list of {{image_id, category_id, keypoints, score}}, found {CocoJson.Kind(root)}");
        var list = new List<CocoKeypointResult>(root.GetArrayLength());
        int i = 0;
        foreach (var r in root.EnumerateArray())
        {
            string where = $"results[{i++}]";
            CocoJson.RequireObject(r, src, where);
            long imageId = CocoJson.RequiredId(r, "image_id", src, where);
            int cat = CocoJson.RequiredInt(r, "category_id", src, where);
            var kps = CocoJson.RequiredNumbers(r, "keypoints", 3 * CocoKeypointsFile.JointCount, src, where,
                $"[x, y, score] × {CocoKeypointsFile.JointCount}");
            double score = CocoJson.RequiredNumber(r, "score", src, where);
            list.Add(new CocoKeypointResult(imageId, cat, kps, score));
        }
        return list;
    }
}

/// <summary>JSON helpers that turn every problem into a one-line <see cref="PoseTrackException"/>.</summary>
internal static class CocoJson
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    public static JsonDocument Open(string path)
    {
        string name = Path.GetFileName(path);
        FileStream fs;
        try { fs = File.OpenRead(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new PoseTrackException($"{path}: cannot read the file ({OneLine(e.Message)})", inner: e);
        }
        using (fs)
        {
            try { return JsonDocument.Parse(fs, Options); }
            catch (JsonException e) { throw Malformed(name, e); }
        }
    }

    public static JsonDocument ParseText(string json, string name)
    {
        try { return JsonDocument.Parse(json, Options); }
        catch (JsonException e) { throw Malformed(name, e); }
    }

    private static PoseTrackException Malformed(string name, JsonException e)
    {
        // System.Text.Json appends "LineNumber: n | BytePositionInLine: m." to its reason; we report those
        // ourselves, 1-based, so the reason is cut before them.
        string reason = OneLine(e.Message);
        int cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut < 0) cut = reason.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0) reason = reason[..cut].TrimEnd();
        string at = e.LineNumber is long line
            ? $" at line {line + 1}" + (e.BytePositionInLine is long col ? $", column {col + 1}" : "")
            : "";
        return new PoseTrackException($"{name}: malformed JSON{at}: {reason}", inner: e);
    }

    private static string OneLine(string s) => s.Replace('\r', ' ').Replace('\n', ' ');

    public static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    public static void RequireObject(JsonElement e, string src, string where)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw new PoseTrackException($"{src}: {where} must be an object, found {Kind(e)}");
    }

    private static JsonElement Required(JsonElement obj, string field, string src, string where)
    {
        if (!obj.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
            throw new PoseTrackException($"{src}: {where} has no '{field}'");
        return v;
    }

    public static JsonElement RequiredArray(JsonElement obj, string field, string src, string where)
    {
        var v = Required(obj, field, src, where);
        if (v.ValueKind != JsonValueKind.Array)
            throw new PoseTrackException($"{src}: '{field}' in {where} must be a list, found {Kind(v)}");
        return v;
    }

    /// <summary>An integral number (COCO ids and counts); "12.0" is accepted as Python's json would give 12.0 and COCO code int()s it.</summary>
    public static long RequiredId(JsonElement obj, string field, string src, string where)
    {
        var v = Required(obj, field, src, where);
        if (v.ValueKind == JsonValueKind.Number)
        {
            if (v.TryGetInt64(out long id)) return id;
            if (v.TryGetDouble(out double d) && d == Math.Floor(d) && Math.Abs(d) < 9e15) return (long)d;
        }
        throw new PoseTrackException($"{src}: {where} '{field}' must be an integer, found {Describe(v)}");
    }

    public static int RequiredInt(JsonElement obj, string field, string src, string where)
    {
        long v = RequiredId(obj, field, src, where);
        if (v is < int.MinValue or > int.MaxValue)
            throw new PoseTrackException($"{src}: {where} '{field}' is out of range ({v})");
        return (int)v;
    }

    public static double RequiredNumber(JsonElement obj, string field, string src, string where)
    {
        var v = Required(obj, field, src, where);
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && double.IsFinite(d)) return d;
        throw new PoseTrackException($"{src}: {where} '{field}' must be a finite number, found {Describe(v)}");
    }

    public static string RequiredString(JsonElement obj, string field, string src, string where)
    {
        var v = Required(obj, field, src, where);
        if (v.ValueKind == JsonValueKind.String) return v.GetString()!;
        throw new PoseTrackException($"{src}: {where} '{field}' must be a string, found {Describe(v)}");
    }

    public static int OptionalInt(JsonElement obj, string field, string src, string where)
    {
        if (!obj.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return 0;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) && n >= 0) return n;
        throw new PoseTrackException($"{src}: {where} '{field}' must be a non-negative integer, found {Describe(v)}");
    }

    /// <summary>A 0/1 (or boolean) flag such as iscrowd.</summary>
    public static bool RequiredFlag(JsonElement obj, string field, string src, string where)
    {
        var v = Required(obj, field, src, where);
        switch (v.ValueKind)
        {
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.Number when v.TryGetDouble(out double d) && double.IsFinite(d):
                // pycocotools does int(iscrowd) and tests truth, so any non-zero integer part means crowd.
                return Math.Truncate(d) != 0;
            default:
                throw new PoseTrackException($"{src}: {where} '{field}' must be 0 or 1, found {Describe(v)}");
        }
    }

    public static double[] RequiredNumbers(JsonElement obj, string field, int count, string src, string where, string layout)
    {
        var v = Required(obj, field, src, where);
        if (v.ValueKind != JsonValueKind.Array)
            throw new PoseTrackException($"{src}: {where} '{field}' must be a list of {count} numbers {layout}, found {Kind(v)}");
        int n = v.GetArrayLength();
        if (n != count)
            throw new PoseTrackException($"{src}: {where} '{field}' has {n} numbers, expected {count} {layout}");
        var result = new double[count];
        int i = 0;
        foreach (var x in v.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.Number || !x.TryGetDouble(out double d) || !double.IsFinite(d))
                throw new PoseTrackException($"{src}: {where} '{field}'[{i}] must be a finite number, found {Describe(x)}");
            result[i++] = d;
        }
        return result;
    }

    private static string Describe(JsonElement v)
    {
        if (v.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False) return v.GetRawText();
        if (v.ValueKind == JsonValueKind.String)
        {
            // As written in the file (escaped), so a string holding a line break keeps the message on one line.
            string s = v.GetRawText();
            return s.Length > 32 ? s[..31] + "…\"" : s;
        }
        return Kind(v);
    }
}
