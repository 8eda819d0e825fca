namespace PoseTrack.Core;

/// <summary>Everything found in one frame: its index in the source (0-based), timestamp and the (tracked) persons.</summary>
public sealed record FrameResult(long Index, double TimeMs, int Width, int Height, IReadOnlyList<Person> Persons);
