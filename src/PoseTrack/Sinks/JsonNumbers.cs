using System.Text.Encodings.Web;
using System.Text.Json;

namespace PoseTrack.Sinks;

/// <summary>Number formatting and writer options shared by every JSON output (see <see cref="PoseJson"/>).</summary>
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

    /// <summary>The same, indented: for documents people read (<c>image --json</c>).</summary>
    public static JsonWriterOptions IndentedWriterOptions { get; } = WriterOptions with { Indented = true };

    /// <summary>
    /// <paramref name="value"/> rounded to <paramref name="decimals"/> (midpoints away from zero, no "-0"); NaN and
    /// infinities become null because JSON has no literal for them (the writer would throw). The writer prints the
    /// shortest round-trip form, so 123.45 stays "123.45".
    /// </summary>
    public static double? Round(double value, int decimals)
    {
        if (!double.IsFinite(value)) return null;
        double r = Math.Round(value, decimals, MidpointRounding.AwayFromZero);
        return r == 0 ? 0d : r;
    }

    /// <summary>Reads a number written by <see cref="Round"/>: null → NaN.</summary>
    public static double ReadNumber(JsonElement e) => e.ValueKind == JsonValueKind.Null ? double.NaN : e.GetDouble();
}
