using PoseTrack.Core;

namespace PoseTrack.Tracking;

/// <summary>
/// Every threshold of the trackers in one place. The defaults assume COCO-17 poses in image pixels at about
/// 30 frames per second; <see cref="MaxAgeForFps"/> adapts the one frame-count setting to other rates.
/// </summary>
public sealed record TrackerOptions
{
    /// <summary>
    /// Least OKS between a new pose and a track's last pose for the two to be matched (0..1).
    /// Default 0.3: the same person one frame later scores about 0.9, and still about 0.6 after walking
    /// 20 px while hidden, while two people standing one body width apart score about 0.02, so 0.3 sits
    /// well inside that gap (looser than COCO's 0.5 because the person moved between the two poses).
    /// </summary>
    public float MatchThreshold { get; init; } = 0.3f;

    /// <summary>
    /// A keypoint counts for matching (and is smoothed) only when its score reaches this value, on both the
    /// new pose and the track's pose. Default 0.3: below it heatmap peaks of occluded joints are mostly guesses.
    /// </summary>
    public float KeypointScoreThreshold { get; init; } = 0.3f;

    /// <summary>
    /// Least number of keypoints confident on both sides for OKS to be used; with fewer, the pair is scored by
    /// box IoU instead. Default 3: an average over one or two joints is decided by a single bad joint.
    /// </summary>
    public int MinSharedKeypoints { get; init; } = 3;

    /// <summary>
    /// Least box IoU for a match when boxes are compared (the OKS tracker's fallback, and the IoU tracker).
    /// Default 0.3, the minimum IoU of SORT (Bewley et al. 2016).
    /// </summary>
    public float IouMatchThreshold { get; init; } = 0.3f;

    /// <summary>
    /// OKS tracker: pairs whose OKS is under <see cref="MatchThreshold"/> may still match by box IoU, after every OKS
    /// match has been taken. Off = the paper's OKS-only rule.
    /// </summary>
    public bool IouSecondStage { get; init; } = true;

    /// <summary>
    /// OKS tracker: weight of OKS in the match similarity, <c>w·OKS + (1−w)·IoU</c> of the boxes. 1 is the paper's
    /// OKS-only rule. Default 0.5: when people overlap, the pose model may place an occluded person's joints on the
    /// person in front, so OKS alone confuses the two while the boxes still tell them apart; on TUD-Campus the blend
    /// cut ID switches from 10 to 5 (with pose NMS, motion prediction, detector every frame).
    /// </summary>
    public float OksWeight { get; init; } = 0.5f;

    /// <summary>
    /// How many consecutive frames (calls to <see cref="ITracker.Update(IReadOnlyList{Person}, double)"/>) a track may go unmatched and still be
    /// matched again; after that it is dropped and its id retired. Default 30 = one second at 30 fps, long enough
    /// to bridge a person walking behind another; use <see cref="MaxAgeForFps"/> for other frame rates.
    /// </summary>
    public int MaxAge { get; init; } = 30;

    /// <summary>
    /// Whether a track's last box and pose are moved by its box-centre velocity × the time since it was seen before
    /// being compared. The paper's flow-free tracker compares with the last pose as is (off); that loses people who
    /// move more than about a tenth of their height while hidden (someone walking behind another for a quarter
    /// second). Default on: on TUD-Campus it raised IDF1 from 0.54 to 0.57 (OKS) and 0.51 to 0.63 (IoU).
    /// </summary>
    public bool PredictMotion { get; init; } = true;

    /// <summary>Whether the trackers return keypoints smoothed by a One Euro filter per joint. Default true.</summary>
    public bool Smooth { get; init; } = true;

    /// <summary>
    /// One Euro minimum cutoff frequency in Hz: the smoothing applied to a (nearly) still joint. Lower removes
    /// more jitter but lags more. Default 1.0 Hz, the value Casiez et al. (2012) start tuning from.
    /// </summary>
    public double MinCutoff { get; init; } = 1.0;

    /// <summary>
    /// One Euro speed coefficient in 1/(px/s): how fast the cutoff rises with joint speed, which removes lag on
    /// moving joints. Default 0.02 (tuned on synthetic 30 fps data with 1–5 px jitter): lag stays near one frame from
    /// 60 px/s (2 px per frame) upwards, against about two frames for Casiez's mouse value 0.007, while a still
    /// joint's frame-to-frame jitter variance is still cut more than twentyfold. In pixels, so tied to the resolution.
    /// </summary>
    public double Beta { get; init; } = 0.02;

    /// <summary>
    /// One Euro cutoff in Hz for the speed estimate that drives <see cref="Beta"/>. Default 1.0 Hz, the value
    /// recommended by Casiez et al. (2012), which keeps frame-to-frame noise out of the speed estimate.
    /// </summary>
    public double DCutoff { get; init; } = 1.0;

    // ---- Lifecycle: tentative → confirmed → lost → re-found or ended (README "Track lifecycle"). ----

    /// <summary>
    /// A new track stays tentative (no id, not in the outputs) until it has been matched in this many of the last
    /// <see cref="ConfirmWindow"/> frames. Default 3, SORT's <c>min_hits</c>: a false positive seldom survives three
    /// frames in the same place, while a real person is confirmed a tenth of a second after appearing at 30 fps.
    /// 1 confirms every track at once (the behaviour before confirmation existed).
    /// </summary>
    public int ConfirmHits { get; init; } = 3;

    /// <summary>
    /// Frames a tentative track has to collect <see cref="ConfirmHits"/> matches; a tentative track this old that has
    /// not made it is dropped. Default 5: one or two missed detections of a real person (motion blur, overlap) do not
    /// cost them their track.
    /// </summary>
    public int ConfirmWindow { get; init; } = 5;

    /// <summary>
    /// A person whose box score reaches this confirms their new track at once (no delay for an obvious person).
    /// Default 0.8: ghosts on the sample videos (chair bases, a head at the frame edge) score under it; most fully
    /// visible people score over it. Above 1 turns it off.
    /// </summary>
    public float ConfirmAtOnceScore { get; init; } = 0.8f;

    /// <summary>
    /// Least box score for a person to start a track. Persons under it may still continue a <b>confirmed</b> track,
    /// after every person above it has been matched (ByteTrack's two-stage association, Zhang et al. 2022), so a half
    /// hidden person whose score drops keeps their id. Default 0.5, ByteTrack's high-score threshold; the detector
    /// keeps boxes from its own threshold (0.3) up.
    /// </summary>
    public float TrackStartScore { get; init; } = 0.5f;

    /// <summary>
    /// Pose plausibility, checked before a person may start a track: least number of joints scoring at least
    /// <see cref="KeypointScoreThreshold"/>. Default 6 (of COCO's 17): a head alone (five face joints) or a pair of
    /// feet at the frame edge fails; a person seen from the waist up (face, shoulders, elbows) passes. 0 turns the
    /// check off.
    /// </summary>
    public int PlausibleMinJoints { get; init; } = 6;

    /// <summary>
    /// Pose plausibility: least share of the confident joints lying inside the person's box grown by a tenth of its
    /// size on each side. Default 0.8: a real pose lies in its own box; a pose model given a box around furniture
    /// scatters joints outside it.
    /// </summary>
    public float PlausibleMinInBox { get; init; } = 0.8f;

    /// <summary>
    /// Pose plausibility (COCO-17 only): longest a limb (upper arm, forearm, thigh, shin) may be, as a share of the
    /// box's longer side. Default 0.6: a standing adult's thigh is about a quarter of their height and even a
    /// foreshortened limb of a crouching person stays under half the box; a limb across the whole box is a mistake.
    /// </summary>
    public float PlausibleMaxLimb { get; init; } = 0.6f;

    /// <summary>
    /// Pose plausibility: least height of the confident joints' extent as a share of the box height. Default 0.3:
    /// a person's joints span most of their box (a full body about 0.85, a bust still about half); a pose squeezed
    /// into a corner of its box is not a person.
    /// </summary>
    public float PlausibleMinExtent { get; init; } = 0.3f;

    /// <summary>
    /// Seconds a lost confirmed track (unmatched for more than <see cref="MaxAge"/> frames) is remembered, so a person
    /// who comes back near where they left, looking the same, gets their old id back. Default 3 s: long enough for
    /// someone to walk behind a pillar or another person, short enough that a newcomer in the same place is seldom
    /// mistaken for them. 0 turns re-finding off.
    /// </summary>
    public double ReidWindowSeconds { get; init; } = 3.0;

    /// <summary>
    /// Re-finding: farthest the newly confirmed track's box centre may be from where the lost track was last seen, in
    /// the lost box's heights. Default 1.5: walking at 1.4 m/s for 2 s moves a person about 1.6 of their heights, and
    /// most returns are behind an occluder, closer than that.
    /// </summary>
    public float ReidMaxDistance { get; init; } = 1.5f;

    /// <summary>
    /// Re-finding: largest ratio of box heights (larger / smaller) between the lost and the new track. Default 1.5:
    /// the same person a few seconds later rarely changes apparent size by more; someone far behind them does.
    /// </summary>
    public float ReidMaxSizeRatio { get; init; } = 1.5f;

    /// <summary>
    /// Whether the trackers use the appearance descriptor (colour histograms along the torso and legs,
    /// <see cref="IAppearanceDescriptor"/>) when the frame is given: to re-find lost tracks and to break ties when
    /// people cross. Default on.
    /// </summary>
    public bool UseAppearance { get; init; } = true;

    /// <summary>
    /// Re-finding: least appearance similarity (0..1) between a lost and a new track when both have a descriptor.
    /// Default 0.6: see <see cref="ColorHistogramDescriptor"/> for the values measured on the sample videos.
    /// </summary>
    public float ReidMinAppearance { get; init; } = 0.6f;

    /// <summary>
    /// Weight of appearance in a match's ordering: similarity + w·(appearance − 1), only between pairs that already
    /// clear their threshold, so appearance orders matches (people crossing) but never makes one. Default 0 (off):
    /// measured on TUD-Campus, where people overlap for many frames and each one's histogram picks up the other's
    /// colours, 0.05, 0.1 and 0.2 all raised ID switches from 1 to 3 (MOTA 0.596 → 0.588); on scenes where crossing
    /// people stay apart in the image (the synthetic crossing test) 0.2 keeps ids that geometry alone swaps.
    /// </summary>
    public float AppearanceWeight { get; init; } = 0f;

    /// <summary>
    /// Weight of the newest frame in a track's running appearance descriptor. Default 0.1: about ten frames are
    /// averaged, so a frame where someone else covers the person barely changes it.
    /// </summary>
    public float AppearanceUpdate { get; init; } = 0.1f;

    /// <summary>
    /// <see cref="MaxAge"/> that spans one second of video at <paramref name="fps"/> frames per second
    /// (at least one frame).
    /// </summary>
    /// <exception cref="PoseTrackException">When <paramref name="fps"/> is not a positive finite number.</exception>
    public static int MaxAgeForFps(double fps)
    {
        if (!double.IsFinite(fps) || fps <= 0)
            throw new PoseTrackException($"Frame rate must be a positive number, got {fps}.");
        return (int)Math.Max(1, Math.Min(int.MaxValue, Math.Round(fps)));
    }

    /// <summary>Checks every value; throws a one-line <see cref="PoseTrackException"/> naming the first bad one.</summary>
    public void Validate()
    {
        // Comparisons are written so NaN fails them too.
        if (!(MatchThreshold >= 0 && MatchThreshold <= 1)) Bad(nameof(MatchThreshold), MatchThreshold, "in [0, 1]");
        if (!(KeypointScoreThreshold >= 0 && KeypointScoreThreshold <= 1))
            Bad(nameof(KeypointScoreThreshold), KeypointScoreThreshold, "in [0, 1]");
        if (MinSharedKeypoints < 1) Bad(nameof(MinSharedKeypoints), MinSharedKeypoints, "at least 1");
        if (!(IouMatchThreshold >= 0 && IouMatchThreshold <= 1)) Bad(nameof(IouMatchThreshold), IouMatchThreshold, "in [0, 1]");
        if (!(OksWeight >= 0 && OksWeight <= 1)) Bad(nameof(OksWeight), OksWeight, "in [0, 1]");
        if (MaxAge < 0) Bad(nameof(MaxAge), MaxAge, "0 or more");
        if (!(MinCutoff > 0) || double.IsInfinity(MinCutoff)) Bad(nameof(MinCutoff), MinCutoff, "a positive number");
        if (!(Beta >= 0) || double.IsInfinity(Beta)) Bad(nameof(Beta), Beta, "0 or more");
        if (!(DCutoff > 0) || double.IsInfinity(DCutoff)) Bad(nameof(DCutoff), DCutoff, "a positive number");
        if (ConfirmHits < 1) Bad(nameof(ConfirmHits), ConfirmHits, "at least 1");
        if (ConfirmWindow < ConfirmHits || ConfirmWindow > 32) Bad(nameof(ConfirmWindow), ConfirmWindow, $"from {nameof(ConfirmHits)} ({ConfirmHits}) to 32");
        if (!(ConfirmAtOnceScore >= 0) || float.IsInfinity(ConfirmAtOnceScore)) Bad(nameof(ConfirmAtOnceScore), ConfirmAtOnceScore, "0 or more");
        if (!(TrackStartScore >= 0 && TrackStartScore <= 1)) Bad(nameof(TrackStartScore), TrackStartScore, "in [0, 1]");
        if (PlausibleMinJoints < 0) Bad(nameof(PlausibleMinJoints), PlausibleMinJoints, "0 or more");
        if (!(PlausibleMinInBox >= 0 && PlausibleMinInBox <= 1)) Bad(nameof(PlausibleMinInBox), PlausibleMinInBox, "in [0, 1]");
        if (!(PlausibleMaxLimb > 0) || float.IsInfinity(PlausibleMaxLimb)) Bad(nameof(PlausibleMaxLimb), PlausibleMaxLimb, "a positive number");
        if (!(PlausibleMinExtent >= 0 && PlausibleMinExtent <= 1)) Bad(nameof(PlausibleMinExtent), PlausibleMinExtent, "in [0, 1]");
        if (!(ReidWindowSeconds >= 0) || double.IsInfinity(ReidWindowSeconds)) Bad(nameof(ReidWindowSeconds), ReidWindowSeconds, "0 or more seconds");
        if (!(ReidMaxDistance >= 0) || float.IsInfinity(ReidMaxDistance)) Bad(nameof(ReidMaxDistance), ReidMaxDistance, "0 or more");
        if (!(ReidMaxSizeRatio >= 1) || float.IsInfinity(ReidMaxSizeRatio)) Bad(nameof(ReidMaxSizeRatio), ReidMaxSizeRatio, "1 or more");
        if (!(ReidMinAppearance >= 0 && ReidMinAppearance <= 1)) Bad(nameof(ReidMinAppearance), ReidMinAppearance, "in [0, 1]");
        if (!(AppearanceWeight >= 0 && AppearanceWeight <= 1)) Bad(nameof(AppearanceWeight), AppearanceWeight, "in [0, 1]");
        if (!(AppearanceUpdate > 0 && AppearanceUpdate <= 1)) Bad(nameof(AppearanceUpdate), AppearanceUpdate, "in (0, 1]");
    }

    private static void Bad(string name, object value, string rule) =>
        throw new PoseTrackException($"{nameof(TrackerOptions)}.{name} must be {rule} (got {value})");
}
