namespace PoseTrack.Sources;

/// <summary>A source that can tell, once it has ended, that it ended before its expected length.</summary>
internal interface IReportsEarlyEnd
{
    /// <summary>Null when the source ended normally; else what happened (e.g. "stopped at frame 40 of 100: data is corrupt").</summary>
    string? EarlyEnd { get; }
}
