using System.CommandLine;
using PoseTrack.Core;
using PoseTrack.Pipeline;
using PoseTrack.Tracking;

namespace PoseTrack.Cli;

/// <summary>Options of the commands that run the streaming pipeline (<c>posetrack</c> and <c>posetrack track</c>).</summary>
internal sealed class PipelineArgs
{
    public Option<string[]> Input { get; } = new("--input", "-i") { Description = "Video file, camera index (0), image folder, stream URL (rtsp://, http://), or - / a FIFO for a video stream read with ffmpeg; give it again for more streams in one process (output paths then take {name})", AllowMultipleArgumentsPerToken = false };
    public Option<string?> Sources { get; } = new("--sources") { Description = "File of inputs, one a line: NAME URL-or-path (# comments); each a stream of this run, named NAME" };
    public Option<int?> Camera { get; } = new("--camera") { Description = "Camera index (same as --input N)" };
    public Option<string?> Json { get; } = new("--json") { Description = "JSON lines log: a header line, then one line per frame (flushed per line)" };
    public Option<string?> Mot { get; } = new("--mot") { Description = "MOTChallenge text of the tracked boxes (frame,id,x,y,w,h,score,-1,-1,-1)" };
    public Option<string?> Csv { get; } = new("--csv") { Description = "CSV of the persons, one row per person per frame (frame,time_ms,track_id,score,box_x,box_y,box_w,box_h, then <joint>_x,<joint>_y,<joint>_score), flushed per frame" };
    public Option<string?> PoseTrackJson { get; } = new("--posetrack") { Description = "PoseTrack18-style JSON of the tracked poses, written at the end of the run" };
    public Option<TrackerKind> Tracker { get; } = Choices.Of("--tracker", "oks (Simple Baselines flow-free, default) or iou (box IoU baseline)", () => new PipelineOptions().Tracker, [("oks", TrackerKind.Oks), ("iou", TrackerKind.Iou)]);
    public Option<int> DetEvery { get; } = new("--det-every") { Description = "Run the detector every k frames; between, boxes come from the tracked poses", DefaultValueFactory = _ => new PipelineOptions().DetectEvery };
    public Option<Switch> Smooth { get; } = Choices.OnOff("--smooth", "One Euro keypoint smoothing: on or off", () => new TrackerOptions().Smooth);
    public Option<double> MinCutoff { get; } = new("--smooth-min-cutoff") { Description = "One Euro minimum cutoff frequency (Hz)", DefaultValueFactory = _ => new TrackerOptions().MinCutoff };
    public Option<double> Beta { get; } = new("--smooth-beta") { Description = "One Euro speed coefficient", DefaultValueFactory = _ => new TrackerOptions().Beta };
    public Option<double> DCutoff { get; } = new("--smooth-d-cutoff") { Description = "One Euro derivative cutoff frequency (Hz)", DefaultValueFactory = _ => new TrackerOptions().DCutoff };
    public Option<float> MatchThreshold { get; } = new("--match-threshold") { Description = "Similarity (w*OKS + (1-w)*box IoU) a pose needs with a track's last pose to continue it", DefaultValueFactory = _ => new TrackerOptions().MatchThreshold };
    public Option<float> OksWeight { get; } = new("--oks-weight") { Description = "OKS tracker: weight of OKS in the similarity w*OKS + (1-w)*box IoU (1 = the paper's OKS only)", DefaultValueFactory = _ => new TrackerOptions().OksWeight };
    public Option<float> IouThreshold { get; } = new("--iou-threshold") { Description = "Box IoU needed to match (IoU tracker, and the OKS tracker's fallback)", DefaultValueFactory = _ => new TrackerOptions().IouMatchThreshold };
    public Option<float> KeypointThreshold { get; } = new("--kp-threshold") { Description = "Keypoint score a joint needs to count in OKS matching", DefaultValueFactory = _ => new TrackerOptions().KeypointScoreThreshold };
    public Option<Switch> PredictMotion { get; } = Choices.OnOff("--predict-motion", "Move each track's last pose by its velocity before matching: on or off", () => new TrackerOptions().PredictMotion);
    public Option<Switch> IouStage { get; } = Choices.OnOff("--iou-second-stage", "OKS tracker: let pairs that fail OKS match by box IoU after all OKS matches: on or off", () => new TrackerOptions().IouSecondStage);
    public Option<int> ConfirmHits { get; } = new("--confirm-hits") { Description = "A new track is confirmed (gets an id, reaches the outputs) once matched in this many of its last --confirm-window frames; 1 = at once", DefaultValueFactory = _ => new TrackerOptions().ConfirmHits };
    public Option<int> ConfirmWindow { get; } = new("--confirm-window") { Description = "Frames a tentative track has to reach --confirm-hits matches before it is dropped", DefaultValueFactory = _ => new TrackerOptions().ConfirmWindow };
    public Option<float> ConfirmScore { get; } = new("--confirm-score") { Description = "Box score that confirms a new track at once (above 1: never)", DefaultValueFactory = _ => new TrackerOptions().ConfirmAtOnceScore };
    public Option<float> StartScore { get; } = new("--start-score") { Description = "Box score a person needs to start a track; lower ones may only continue confirmed tracks (two-stage association)", DefaultValueFactory = _ => new TrackerOptions().TrackStartScore };
    public Option<int> PlausibleJoints { get; } = new("--plausible-joints") { Description = "Confident joints a person needs to start a track (0 turns the plausibility check off)", DefaultValueFactory = _ => new TrackerOptions().PlausibleMinJoints };
    public Option<float> PlausibleInBox { get; } = new("--plausible-in-box") { Description = "Share of confident joints that must lie inside the person's box (grown by a tenth) to start a track", DefaultValueFactory = _ => new TrackerOptions().PlausibleMinInBox };
    public Option<float> PlausibleMaxLimb { get; } = new("--plausible-max-limb") { Description = "Longest limb allowed, as a share of the box's longer side, to start a track", DefaultValueFactory = _ => new TrackerOptions().PlausibleMaxLimb };
    public Option<float> PlausibleExtent { get; } = new("--plausible-extent") { Description = "Least height of the confident joints as a share of the box height, to start a track", DefaultValueFactory = _ => new TrackerOptions().PlausibleMinExtent };
    public Option<double> ReidWindow { get; } = new("--reid-window") { Description = "Seconds a lost track is remembered so a person who comes back gets their id again (0 = off)", DefaultValueFactory = _ => new TrackerOptions().ReidWindowSeconds };
    public Option<float> ReidDistance { get; } = new("--reid-distance") { Description = "Re-finding: farthest a new track may be from where the lost one was last seen, in its box heights", DefaultValueFactory = _ => new TrackerOptions().ReidMaxDistance };
    public Option<float> ReidSizeRatio { get; } = new("--reid-size-ratio") { Description = "Re-finding: largest ratio of box heights between the lost and the new track", DefaultValueFactory = _ => new TrackerOptions().ReidMaxSizeRatio };
    public Option<float> ReidAppearance { get; } = new("--reid-appearance") { Description = "Re-finding: least appearance similarity (0..1) between the lost and the new track", DefaultValueFactory = _ => new TrackerOptions().ReidMinAppearance };
    public Option<Switch> Appearance { get; } = Choices.OnOff("--appearance", "Colour-histogram appearance of torso and legs, to re-find lost tracks and order matches when people cross: on or off", () => new TrackerOptions().UseAppearance);
    public Option<float> AppearanceWeight { get; } = new("--appearance-weight") { Description = "Weight of appearance when ordering matches (it never makes a match by itself)", DefaultValueFactory = _ => new TrackerOptions().AppearanceWeight };
    public Option<int?> MaxAge { get; } = new("--max-age") { Description = "Frames an unmatched track survives (default: one second of video)" };
    public Option<long?> MaxFrames { get; } = new("--max-frames") { Description = "Stop after this many frames" };
    public Option<double> Start { get; } = new("--start") { Description = "Skip to this time in seconds", DefaultValueFactory = _ => new PipelineOptions().StartSeconds };
    public Option<DropFramesMode> DropFrames { get; } = Choices.Of("--drop-frames", "auto (drop for cameras and streams), on, off", () => new PipelineOptions().DropFrames, [("auto", DropFramesMode.Auto), ("on", DropFramesMode.On), ("off", DropFramesMode.Off)]);
    public Option<int> ChannelCapacity { get; } = new("--channel-capacity") { Description = "Frames each channel between stages holds", DefaultValueFactory = _ => new PipelineOptions().ChannelCapacity };
    public Option<double> FolderFps { get; } = new("--fps") { Description = "Frame rate of an image folder input", DefaultValueFactory = _ => new PoseTrack.Sources.FrameSourceOptions().FolderFps };
    public Option<string> RtspTransport { get; } = new("--rtsp-transport") { Description = "rtsp:// inputs: tcp (default: interleaved, no packet loss) or udp", DefaultValueFactory = _ => new PoseTrack.Sources.FrameSourceOptions().RtspTransport };
    public Option<PoseTrack.Sources.VideoDecoder> Decoder { get; } = Choices.Of("--decoder", "Video files: auto (the ffmpeg program where its frames are OpenCV's to the bit, else OpenCV: same results, less CPU at camera resolutions), ffmpeg, or opencv", () => new PoseTrack.Sources.FrameSourceOptions().Decoder, [("auto", PoseTrack.Sources.VideoDecoder.Auto), ("ffmpeg", PoseTrack.Sources.VideoDecoder.Ffmpeg), ("opencv", PoseTrack.Sources.VideoDecoder.OpenCv)]);
    public Option<double> StallTimeout { get; } = new("--stall-timeout") { Description = "Network inputs: seconds to connect, and without a frame before the stream counts as lost", DefaultValueFactory = _ => new PoseTrack.Sources.FrameSourceOptions().StreamTimeout.TotalSeconds };
    public Option<string?> Reconnect { get; } = new("--reconnect") { Description = "Network inputs: reconnect attempts after the stream is lost (backoff 1, 2, 4 … 30 s), N or forever (default); given explicitly, the first connection is retried too" };
    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "No progress, only warnings, errors and the summary" };
    public Option<bool> Verbose { get; } = new("--verbose") { Description = "Debug log lines" };

    public PipelineArgs() => Limits.AtMost(ChannelCapacity, Limits.MaxChannelCapacity, "each unit holds about six frames in memory; 4 is the default");

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Input, Sources, Camera, Json, Mot, Csv, PoseTrackJson, Tracker, DetEvery, Smooth, MinCutoff, Beta, DCutoff,
                     MatchThreshold, OksWeight, IouThreshold, KeypointThreshold, PredictMotion, IouStage, MaxAge,
                     ConfirmHits, ConfirmWindow, ConfirmScore, StartScore, PlausibleJoints, PlausibleInBox, PlausibleMaxLimb, PlausibleExtent,
                     ReidWindow, ReidDistance, ReidSizeRatio, ReidAppearance, Appearance, AppearanceWeight, MaxFrames, Start, DropFrames, ChannelCapacity, FolderFps, Decoder, RtspTransport, StallTimeout, Reconnect, Quiet, Verbose })
            command.Options.Add(o);
    }

    /// <summary>The one input as given: --input, or --camera N (several inputs are an error here).</summary>
    public string? InputOf(ParseResult r, string command)
    {
        var inputs = InputsOf(r);
        if (inputs.Count > 1) throw new PoseTrackException($"{command} takes one input (got {inputs.Count})");
        return inputs.Count == 1 ? inputs[0].Input : null;
    }

    /// <summary>Every input, named: each --input, the lines of --sources, or --camera N (none: an empty list).</summary>
    public IReadOnlyList<StreamInput> InputsOf(ParseResult r)
    {
        var inputs = r.GetValue(Input) ?? [];
        var camera = r.GetValue(Camera);
        var sources = r.GetValue(Sources);
        if (inputs.Length > 0 && camera is not null) throw new PoseTrackException("give either --input or --camera, not both");
        if (sources is not null && camera is not null) throw new PoseTrackException("give either --sources or --camera, not both");
        if (camera is < 0) throw new PoseTrackException($"--camera: {camera} is not a camera index (0 or more)");
        if (camera is { } c) return StreamInputs.Name([(null, c.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        var all = inputs.Select(i => ((string?)null, i)).ToList();
        if (sources is not null) all.AddRange(StreamInputs.ReadSourcesFile(sources));
        return StreamInputs.Name(all);
    }

    /// <summary>How the input is opened: --fps for image folders; --rtsp-transport, --stall-timeout and --reconnect for network streams.</summary>
    public Sources.FrameSourceOptions BuildSource(ParseResult r)
    {
        double fps = r.GetValue(FolderFps);
        if (!(fps > 0) || double.IsInfinity(fps)) throw new PoseTrackException($"--fps must be a positive number (got {fps})");
        var transport = (r.GetValue(RtspTransport) ?? "tcp").ToLowerInvariant();
        if (transport is not ("tcp" or "udp")) throw new PoseTrackException($"--rtsp-transport must be tcp or udp (got '{transport}')");
        double stall = r.GetValue(StallTimeout);
        if (!(stall > 0) || stall > 3600) throw new PoseTrackException($"--stall-timeout must be more than 0 and at most 3600 seconds (got {stall})");
        var reconnectText = r.GetValue(Reconnect);
        int? reconnect = null;
        if (reconnectText is not null && !reconnectText.Equals("forever", StringComparison.OrdinalIgnoreCase))
        {
            if (!int.TryParse(reconnectText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
                throw new PoseTrackException($"--reconnect must be a number of attempts (0 or more) or forever (got '{reconnectText}')");
            reconnect = n;
        }
        return new Sources.FrameSourceOptions
        {
            FolderFps = fps,
            Decoder = r.GetValue(Decoder),
            RtspTransport = transport,
            StreamTimeout = TimeSpan.FromSeconds(stall),
            Reconnect = reconnect,
            ReconnectAtStart = reconnectText is not null,
        };
    }

    public PipelineOptions Build(ParseResult r, bool overlay)
    {
        int? maxAge = r.GetValue(MaxAge);
        if (maxAge is < 0) throw new PoseTrackException($"--max-age must be 0 or more frames (got {maxAge})");
        var trackerOptions = new TrackerOptions
        {
            MatchThreshold = r.GetValue(MatchThreshold),
            OksWeight = r.GetValue(OksWeight),
            IouMatchThreshold = r.GetValue(IouThreshold),
            KeypointScoreThreshold = r.GetValue(KeypointThreshold),
            Smooth = r.IsOn(Smooth),
            PredictMotion = r.IsOn(PredictMotion),
            IouSecondStage = r.IsOn(IouStage),
            MinCutoff = r.GetValue(MinCutoff),
            Beta = r.GetValue(Beta),
            DCutoff = r.GetValue(DCutoff),
            ConfirmHits = r.GetValue(ConfirmHits),
            ConfirmWindow = r.GetValue(ConfirmWindow),
            ConfirmAtOnceScore = r.GetValue(ConfirmScore),
            TrackStartScore = r.GetValue(StartScore),
            PlausibleMinJoints = r.GetValue(PlausibleJoints),
            PlausibleMinInBox = r.GetValue(PlausibleInBox),
            PlausibleMaxLimb = r.GetValue(PlausibleMaxLimb),
            PlausibleMinExtent = r.GetValue(PlausibleExtent),
            ReidWindowSeconds = r.GetValue(ReidWindow),
            ReidMaxDistance = r.GetValue(ReidDistance),
            ReidMaxSizeRatio = r.GetValue(ReidSizeRatio),
            ReidMinAppearance = r.GetValue(ReidAppearance),
            UseAppearance = r.IsOn(Appearance),
            AppearanceWeight = r.GetValue(AppearanceWeight),
        };
        var options = new PipelineOptions
        {
            ChannelCapacity = r.GetValue(ChannelCapacity),
            DetectEvery = Presets.Pick(r, DetEvery, Presets.Current(r).DetectEvery),
            DropFrames = r.GetValue(DropFrames),
            MaxFrames = r.GetValue(MaxFrames),
            StartSeconds = r.GetValue(Start),
            Tracker = r.GetValue(Tracker),
            // Max age defaults to one second of the input's frame rate, which is known only once the source is open.
            TrackerOptions = trackerOptions,
            MaxAgeFrames = maxAge,
            Overlay = overlay,
        };
        // Checked once, here, so the message names the option the user typed, not the library's property.
        OptionNames.Check(options.Validate, OptionNames.Pipeline);
        double fps = r.GetValue(FolderFps);
        if (!(fps > 0) || double.IsInfinity(fps)) throw new PoseTrackException($"--fps must be a positive number (got {fps})");
        return options;
    }
}
