using PoseTrack.Core;

namespace PoseTrack.Reporting;

/// <summary>Thresholds of the suspected-problem checks and limits of the report.</summary>
internal sealed record ReportOptions
{
    // A likely id switch is the tracker's own re-finding rule seen from outside: a track that starts within the
    // re-identification window after another ended, near where that one was lost, is what the tracker takes for the
    // same person; when the log still shows two ids, the tracker did not (appearance or size differed, or the pair
    // came apart by more than the rule allows), so a person may have changed id. Defaults are the tracker's.

    /// <summary>Likely id switch: a track starts at most this many seconds (of video time) after another one ended…</summary>
    public double SwitchSeconds { get; init; } = new Tracking.TrackerOptions().ReidWindowSeconds;

    /// <summary>…and its first box centre is at most this many of the ended track's box heights from its last box centre.</summary>
    public double SwitchBoxHeights { get; init; } = new Tracking.TrackerOptions().ReidMaxDistance;

    /// <summary>A track seen in fewer frames than this is flagged as flicker.</summary>
    public int ShortTrackFrames { get; init; } = 5;

    /// <summary>
    /// A track jumps when its box centre moves more than this many box heights per frame between two consecutive
    /// appearances (walking is about 0.03 box heights per frame at 25 fps).
    /// </summary>
    public double JumpBoxHeights { get; init; } = 0.3;

    /// <summary>Keypoints under this score are left out of the jitter.</summary>
    public float KeypointScoreThreshold { get; init; } = 0.3f;

    /// <summary>A track's jitter ranks with the others only when it comes from at least this many three-frame windows.</summary>
    public int MinJitterWindows { get; init; } = 5;

    /// <summary>At most this many tracks get thumbnails (flagged tracks first, then the longest).</summary>
    public int MaxThumbnailTracks { get; init; } = 200;

    /// <summary>Height in pixels of a thumbnail.</summary>
    public int ThumbnailHeight { get; init; } = 96;

    /// <summary>Throws <see cref="PoseTrackException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (!(SwitchSeconds > 0) || double.IsInfinity(SwitchSeconds)) throw new PoseTrackException($"SwitchSeconds must be more than 0 (got {SwitchSeconds})");
        if (!(SwitchBoxHeights >= 0) || double.IsInfinity(SwitchBoxHeights)) throw new PoseTrackException($"SwitchBoxHeights must be 0 or more (got {SwitchBoxHeights})");
        if (ShortTrackFrames < 0) throw new PoseTrackException($"ShortTrackFrames must be 0 or more (got {ShortTrackFrames})");
        if (!(JumpBoxHeights > 0) || double.IsInfinity(JumpBoxHeights)) throw new PoseTrackException($"JumpBoxHeights must be more than 0 (got {JumpBoxHeights})");
        if (MinJitterWindows < 1) throw new PoseTrackException($"MinJitterWindows must be 1 or more (got {MinJitterWindows})");
        if (MaxThumbnailTracks < 0) throw new PoseTrackException($"MaxThumbnailTracks must be 0 or more (got {MaxThumbnailTracks})");
        if (ThumbnailHeight is < 16 or > 512) throw new PoseTrackException($"ThumbnailHeight must be 16 to 512 pixels (got {ThumbnailHeight})");
    }
}
