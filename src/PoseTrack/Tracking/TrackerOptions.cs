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
    /// How many consecutive frames (calls to <see cref="ITracker.Update"/>) a track may go unmatched and still be
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
    }

    private static void Bad(string name, object value, string rule) =>
        throw new PoseTrackException($"{nameof(TrackerOptions)}.{name} must be {rule} (got {value})");
}
