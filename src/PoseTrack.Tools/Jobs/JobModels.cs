using System.Text.Json;
using System.Text.Json.Serialization;

namespace PoseTrack.Jobs;

/// <summary>
/// One job as published on the work queue: what to run. <see cref="InputObject"/> names the uploaded video in the
/// Object Store (any machine can fetch it); without it <see cref="Input"/> is a path or URL every worker can open.
/// <see cref="Args"/> are the run options (<c>--max-frames 30</c>, <c>--tracker iou</c>, …) given to the pipeline.
/// </summary>
internal sealed record JobSpec(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("input")] string Input,
    [property: JsonPropertyName("input_object")] string? InputObject,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("args")] IReadOnlyList<string> Args,
    [property: JsonPropertyName("video")] bool Video);

/// <summary>A job's state in the key-value bucket: queued → running (worker, attempt) → done | failed (last error).</summary>
internal sealed record JobState(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("worker")] string? Worker,
    [property: JsonPropertyName("input")] string Input,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("outputs")] IReadOnlyList<string> Outputs,
    [property: JsonPropertyName("updated")] DateTimeOffset Updated)
{
    public const string Queued = "queued", Running = "running", Done = "done", Failed = "failed";

    /// <summary>Still to finish: <c>jobs wait</c> waits while any job is queued or running.</summary>
    [JsonIgnore] public bool Open => State is Queued or Running;
}

/// <summary>The JSON form of jobs and states on the wire and in <c>jobs list --json</c>.</summary>
internal static class JobJson
{
    private static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    public static byte[] Encode<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    public static T Decode<T>(ReadOnlySpan<byte> bytes) => JsonSerializer.Deserialize<T>(bytes, Options)
        ?? throw new InvalidDataException($"empty {typeof(T).Name}");

    public static string ToJson<T>(T value, bool indented = false) =>
        JsonSerializer.Serialize(value, new JsonSerializerOptions(Options) { WriteIndented = indented });
}
