using PoseTrack.Sinks;

namespace PoseTrack.Cli;

/// <summary>
/// Checks made before any work starts (see <see cref="OutputSafety.Check"/>), so a bad output path fails at once and
/// not after an hour of video, and no output ever lands on an input or on another output.
/// </summary>
internal static class OutputPaths
{
    /// <summary>Throws when an output is an input or another output, cannot be created, or another run is writing it.</summary>
    public static void Check((string Option, string? Path)[] inputs, params (string Option, string? Path)[] outputs) =>
        OutputSafety.Check(inputs, outputs);

}
