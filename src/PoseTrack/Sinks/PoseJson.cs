using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>
/// The JSON the library writes, as System.Text.Json DTOs serialised through one source-generated context
/// (<see cref="PoseJsonContext"/>) by one writer (<c>PoseJson.Write</c>): the JSON lines log, <c>image --json</c>,
/// PoseTrack18 and COCO results. A person is turned into JSON in one place with one number policy
/// (<see cref="JsonNumbers.Round"/>: coordinates 2 decimals, scores 3, a non-finite number becomes null):
/// <list type="bullet">
/// <item><see cref="PersonJson"/> — PoseTrack's own person, <c>{"track_id":id|null,"box":[x,y,w,h],"score":s,
/// "keypoints":[[x,y,s],…]}</c>, in the JSON lines log and (with <c>box_score</c>) in <c>image --json</c>;</item>
/// <item><see cref="KeypointAnnotationJson"/> — a COCO result, <c>{"image_id","category_id":1,"keypoints":[x,y,s,…],
/// "score"}</c> at full precision (the file must evaluate exactly as the results in memory did);</item>
/// <item><see cref="PoseTrackAnnotationJson"/> — a PoseTrack18 annotation in the dataset's layout.</item>
/// </list>
/// </summary>
internal static class PoseJson
{
    /// <summary>Serialises <paramref name="value"/> through the shared writer options (compact, relaxed escaping).</summary>
    public static void Write<T>(Utf8JsonWriter writer, T value, JsonTypeInfo<T> type) => JsonSerializer.Serialize(writer, value, type);

    /// <summary>Writes <paramref name="value"/> as the whole of <paramref name="stream"/> (compact, or indented for documents people read).</summary>
    public static void Write<T>(Stream stream, T value, JsonTypeInfo<T> type, bool indented = false)
    {
        using var w = new Utf8JsonWriter(stream, indented ? JsonNumbers.IndentedWriterOptions : JsonNumbers.WriterOptions);
        JsonSerializer.Serialize(w, value, type);
    }

    /// <summary>The person in PoseTrack's own schema; <paramref name="withBoxScore"/> adds the detector's box score.</summary>
    public static PersonJson Person(Person p, bool withBoxScore = false)
    {
        const int c = JsonNumbers.CoordinateDecimals, s = JsonNumbers.ScoreDecimals;
        var kps = new double?[p.Keypoints.Length][];
        for (int i = 0; i < kps.Length; i++)
        {
            var k = p.Keypoints[i];
            kps[i] = [JsonNumbers.Round(k.X, c), JsonNumbers.Round(k.Y, c), JsonNumbers.Round(k.Score, s)];
        }
        return new PersonJson(p.TrackId > 0 ? p.TrackId : null, Box(p.Box),
            withBoxScore ? JsonNumbers.Round(p.BoxScore, s) : null, JsonNumbers.Round(p.Score, s), kps);
    }

    /// <summary>The person's track id, box and score as <see cref="Person"/> rounds them, without the keypoints (MOT rows
    /// need no more, and are written per frame).</summary>
    public static PersonJson BoxAndScore(Person p) =>
        new(p.TrackId > 0 ? p.TrackId : null, Box(p.Box), null, JsonNumbers.Round(p.Score, JsonNumbers.ScoreDecimals), []);

    /// <summary>
    /// The person (as rounded for the logs, <see cref="Person"/>) as PoseTrack18 annotation <paramref name="id"/> of
    /// image <paramref name="imageId"/>: keypoints in PoseTrack18's order (<see cref="PoseTrack18.Keypoints"/>),
    /// untracked persons with track id -1 (PoseTrack tools expect an integer).
    /// </summary>
    public static PoseTrackAnnotationJson PoseTrackAnnotation(long id, long imageId, PersonJson p, int[] sources)
    {
        var (flat, scores) = PoseTrack18.Keypoints(sources, p.Keypoints);
        return new PoseTrackAnnotationJson(id, imageId, p.TrackId ?? -1, 1, p.Box, flat, scores, p.Score);
    }

    /// <summary>
    /// A COCO result: flat keypoints and score at full precision (shortest round-trip form). COCO tools cannot read a
    /// null, so a non-finite number is refused: <see cref="ArgumentException"/> naming <paramref name="what"/>.
    /// </summary>
    public static KeypointAnnotationJson CocoResult(long imageId, int categoryId, double[] keypoints, double score, string what)
    {
        var flat = new double?[keypoints.Length];
        for (int i = 0; i < keypoints.Length; i++) flat[i] = Finite(keypoints[i], what);
        return new KeypointAnnotationJson(imageId, categoryId, flat, Finite(score, what));
    }

    private static double Finite(double v, string what)
        => double.IsFinite(v) ? v : throw new ArgumentException($"{what} has a non-finite number ({v})");

    private static double?[] Box(BoxF b)
    {
        const int c = JsonNumbers.CoordinateDecimals;
        return [JsonNumbers.Round(b.X, c), JsonNumbers.Round(b.Y, c), JsonNumbers.Round(b.Width, c), JsonNumbers.Round(b.Height, c)];
    }
}

/// <summary>A person in PoseTrack's own schema (see <see cref="PoseJson"/>).</summary>
internal sealed record PersonJson(
    int? TrackId,
    double?[] Box,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? BoxScore,
    double? Score,
    double?[][] Keypoints);

/// <summary>A person in the flat COCO layout: a COCO result (PoseTrack18 annotations are <see cref="PoseTrackAnnotationJson"/>).</summary>
internal sealed record KeypointAnnotationJson(long ImageId, int CategoryId, double?[] Keypoints, double? Score);

/// <summary>The JSON lines header (see <see cref="JsonLinesSink"/>).</summary>
internal sealed record JsonLinesHeaderJson(
    string Type, int Version, string Input, int Width, int Height, double? Fps, long? FrameCount,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? VideoWidth,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? VideoHeight,
    ModelsJson Models, string Skeleton, IReadOnlyList<string> KeypointNames, int[][] Limbs, DateTimeOffset Created,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SegmentJson? Segment,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ToolVersion,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Provider,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SettingsJson? Settings);

/// <summary>
/// The header's <c>settings</c>: every option that changes the results of a run — the models and their options as
/// given (a detector input size of 0 is the model's own), the tracker and the options it actually ran with (its
/// max age resolved for the input's frame rate; smoothing is <c>smooth</c>, <c>min_cutoff</c>, <c>beta</c>,
/// <c>d_cutoff</c>), <c>det_every</c>, <c>start_seconds</c>, <c>max_frames</c> and <c>drop_frames</c>. The option
/// records are written whole, so an option added to them appears here without further work.
/// </summary>
internal sealed record SettingsJson(
    string? DetectorModel, string? PoseModel, Detection.DetectorOptions Detector, Pose.PoseOptions Pose,
    string Tracker, Tracking.TrackerOptions TrackerOptions, int DetEvery, double StartSeconds, long? MaxFrames, string DropFrames)
{
    /// <summary>The settings of a run of <paramref name="pipeline"/> over <paramref name="estimator"/>'s models, on input at <paramref name="fps"/>.</summary>
    public static SettingsJson For(PoseEstimator estimator, Pipeline.PipelineOptions pipeline, double fps) => new(
        estimator.DetectorName, estimator.PoseModelName, estimator.Options.Detection, estimator.Options.Pose,
        pipeline.Tracker.ToString().ToLowerInvariant(),
        pipeline.TrackerOptions with { MaxAge = pipeline.MaxAgeFrames ?? Tracking.TrackerOptions.MaxAgeForFps(fps) },
        pipeline.DetectEvery, pipeline.StartSeconds, pipeline.MaxFrames, pipeline.DropFrames.ToString().ToLowerInvariant());
}

/// <summary>Which segment of a <c>--segment</c> run a log is.</summary>
internal sealed record SegmentJson(int Index, double? StartMs, DateTimeOffset Start, double? DurationMs);

/// <summary>The models of a run.</summary>
internal sealed record ModelsJson(string? Detector, string? Pose);

/// <summary>A frame line of the JSON lines log.</summary>
internal sealed record FrameJson(long Frame, double? TimeMs, PersonJson[] Persons);

/// <summary>A gap record of the JSON lines log.</summary>
internal sealed record GapJson(string Type, double? FromMs, double? ToMs, string Reason);

/// <summary>The closing summary record of the JSON lines log.</summary>
internal sealed record SummaryJson(string Type, long Frames, double? Seconds, double? Fps, long Dropped, int Tracks, bool Stopped);

/// <summary>The PoseTrack18 document (see <see cref="PoseTrackJsonSink"/>).</summary>
internal sealed record PoseTrackDocumentJson(PoseTrackCategoryJson[] Categories, IEnumerable<PoseTrackImageJson> Images, IEnumerable<PoseTrackAnnotationJson> Annotations);

/// <summary>The person category of a PoseTrack18 document (skeleton indices 1-based, as in COCO).</summary>
internal sealed record PoseTrackCategoryJson(
    [property: JsonPropertyName("supercategory")] string SuperCategory, int Id, string Name, IReadOnlyList<string> Keypoints, int[][] Skeleton);

/// <summary>A PoseTrack18 image entry (id and frame_id the same number, as in the dataset).</summary>
internal sealed record PoseTrackImageJson(long Id, long FrameId, string FileName, bool IsLabeled, string VidId, long Nframes);

/// <summary>A PoseTrack18 annotation: the person in the flat layout, keypoints in PoseTrack18's order.</summary>
internal sealed record PoseTrackAnnotationJson(
    long Id, long ImageId, int TrackId, int CategoryId, double?[] Bbox, double?[] Keypoints, double?[] Scores, double? Score);

/// <summary>The <c>image --json</c> document.</summary>
internal sealed record ImagePosesJson(string? Detector, string? PoseModel, string Skeleton, IReadOnlyList<string> KeypointNames, IEnumerable<ImagePersonsJson> Images);

/// <summary>One image of <c>image --json</c>.</summary>
internal sealed record ImagePersonsJson(string File, int Width, int Height, PersonJson[] Persons);

/// <summary>The source-generated serialisers of every DTO above: snake_case names, nulls written unless a property says otherwise.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, GenerationMode = JsonSourceGenerationMode.Serialization,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(JsonLinesHeaderJson))]
[JsonSerializable(typeof(FrameJson))]
[JsonSerializable(typeof(GapJson))]
[JsonSerializable(typeof(SummaryJson))]
[JsonSerializable(typeof(PoseTrackDocumentJson))]
[JsonSerializable(typeof(IEnumerable<KeypointAnnotationJson>))]
[JsonSerializable(typeof(IEnumerable<PoseTrackAnnotationJson>))]
[JsonSerializable(typeof(ImagePosesJson))]
internal sealed partial class PoseJsonContext : JsonSerializerContext;
