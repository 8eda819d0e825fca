using System.Text.Encodings.Web;
using System.Text.Json;

namespace PoseTrack.Sinks;

/// <summary>Number formatting shared by the JSON sinks.</summary>
internal static class JsonNumbers
{
    /// <summary>Coordinates (pixels) keep 2 decimals: finer than any model resolves, and half the bytes of floats.</summary>
    public const int CoordinateDecimals = 2;
    /// <summary>Scores keep 3 decimals.</summary>
    public const int ScoreDecimals = 3;

    /// <summary>
    /// Writer options: compact, and relaxed escaping so paths and names with non-ASCII characters stay readable
    /// (the files are data, never embedded in HTML).
    /// </summary>
    public static JsonWriterOptions WriterOptions { get; } = new()
    {
        Indented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Writes <paramref name="value"/> rounded to <paramref name="decimals"/>; NaN and infinities become null because
    /// JSON has no literal for them (Utf8JsonWriter would throw). The writer prints the shortest round-trip form,
    /// so 123.45 stays "123.45".
    /// </summary>
    public static void WriteRounded(Utf8JsonWriter w, double value, int decimals)
    {
        if (!double.IsFinite(value)) { w.WriteNullValue(); return; }
        double r = Math.Round(value, decimals, MidpointRounding.AwayFromZero);
        w.WriteNumberValue(r == 0 ? 0d : r); // no "-0"
    }

    /// <summary>Reads a number written by <see cref="WriteRounded"/>: null → NaN.</summary>
    public static double ReadNumber(JsonElement e) => e.ValueKind == JsonValueKind.Null ? double.NaN : e.GetDouble();
}
