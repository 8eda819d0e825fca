using System.CommandLine;
using PoseTrack.Core;
using PoseTrack.Sinks;
using PoseTrack.Sources;

namespace PoseTrack.Cli.Commands;

/// <summary>
/// The main job, on the root command: <c>posetrack --input video.mp4</c> → annotated video + JSON lines.
/// With no output option it writes <c>out.mp4</c> and <c>out.jsonl</c> in the current directory.
/// </summary>
internal static class RunCommand
{
    public static void Configure(RootCommand root)
    {
        var pipeline = new PipelineArgs();
        var models = new ModelArgs();
        var output = new Option<string?>("--output", "-o") { Description = "Annotated video (.mp4, .avi, .mkv); same size and frame rate as the input" };
        var fourcc = new Option<string?>("--fourcc") { Description = "Video codec FourCC overriding the one chosen by extension (e.g. mp4v, MJPG, XVID)" };
        var codec = new Option<string?>("--codec") { Description = "Video writer: opencv (codec from the extension or --fourcc), mpeg4 (ffmpeg's mpeg4: what opencv writes to .mp4, at about a third of the CPU), h264 (ffmpeg's libx264, yuv420p: plays in browsers), auto (h264 when ffmpeg is installed). Default: mpeg4 for .mp4/.m4v/.mov when ffmpeg is installed and no --fourcc is given, else opencv" };
        var outputScale = new Option<double>("--output-scale") { Description = "Write the annotated video at this fraction of the input's size (0 < F <= 1, e.g. 0.5 for a 4K camera); the JSON stays in input pixels", DefaultValueFactory = _ => 1.0 };
        var segment = new Option<string?>("--segment") { Description = "24/7 runs: write the video and the JSON lines as closed segments of this much frame time (30s, 10m, 1h), each named NAME_yyyyMMddTHHmmssZ.EXT by its UTC start" };
        var show = new Option<bool>("--show") { Description = "Preview window (q or Esc quits)" };
        var noOverlay = new Option<bool>("--no-overlay") { Description = "No fps / people text on the video" };
        root.Options.Add(output); root.Options.Add(fourcc); root.Options.Add(codec); root.Options.Add(outputScale); root.Options.Add(segment); root.Options.Add(show); root.Options.Add(noOverlay);
        var draw = new DrawArgs();
        draw.AddTo(root);
        pipeline.AddTo(root);
        models.AddTo(root);
        var metrics = new MetricsArgs();
        metrics.AddTo(root);

        root.SetAction((r, ct) => CliErrors.GuardAsync(async () =>
        {
            var inputs = pipeline.InputsOf(r);
            if (inputs.Count == 0)
                throw new PoseTrackException("no input: give --input VIDEO|CAMERA-INDEX|IMAGE-FOLDER|URL (see posetrack --help)");
            bool quiet = r.GetValue(pipeline.Quiet);
            using var loggers = Logging.Create(quiet, r.GetValue(pipeline.Verbose));
            var outputs = new RunOutputs(r.GetValue(output), r.GetValue(pipeline.Json), r.GetValue(pipeline.Mot),
                r.GetValue(pipeline.PoseTrackJson), r.GetValue(show), r.GetValue(fourcc))
            {
                Codec = r.GetValue(codec)?.ToLowerInvariant() is var c && c is null or "opencv" or "mpeg4" or "h264" or "auto" ? c
                    : throw new PoseTrackException($"--codec must be opencv, mpeg4, h264 or auto (got '{r.GetValue(codec)}')"),
                Segment = r.GetValue(segment) is { } every ? SegmentedOutputs.ParseDuration(every) : null,
                Csv = r.GetValue(pipeline.Csv),
                OutputScale = r.GetValue(outputScale) is var f && f > 0 && f <= 1 ? f
                    : throw new PoseTrackException($"--output-scale must be more than 0 and at most 1 (got {r.GetValue(outputScale)})"),
            };
            if (outputs.Codec is "h264" or "mpeg4" && outputs.FourCc is not null) throw new PoseTrackException($"give either --codec {outputs.Codec} or --fourcc, not both");
            bool several = inputs.Count > 1;
            bool defaulted = false;
            if (outputs is { Video: null, Json: null, Mot: null, PoseTrackJson: null, Csv: null, Show: false })
            {
                outputs = several ? outputs with { Video = "out-{name}.mp4", Json = "out-{name}.jsonl" } : outputs with { Video = "out.mp4", Json = "out.jsonl" };
                defaulted = true;
            }
            if (outputs.Segment is not null && outputs is { Video: null, Json: null })
                throw new PoseTrackException("--segment splits the video and the JSON lines: give --output and/or --json");
            if (several && outputs.Show) throw new PoseTrackException("--show previews one input; several inputs were given");
            // Several streams never share a file: every output path must name its stream.
            StreamInputs.CheckOutputsNamePerStream(inputs.Count, ("--output", outputs.Video), ("--json", outputs.Json), ("--mot", outputs.Mot), ("--posetrack", outputs.PoseTrackJson), ("--csv", outputs.Csv));
            var pipelineOptions = draw.Apply(r, pipeline.Build(r, overlay: !r.GetValue(noOverlay)));
            var sourceOptions = pipeline.BuildSource(r);
            if (r.GetValue(metrics.Port) is not null && !several) throw new PoseTrackException("--metrics-port serves a run of several inputs (or posetrack batch)");
            // Said only once every option has been checked: an option error comes first and alone.
            if (defaulted && !quiet) Console.Error.WriteLine($"posetrack: no output given: writing {Path.GetFullPath(outputs.Video!)} and {Path.GetFullPath(outputs.Json!)}");
            if (several)
            {
                using var exporter = metrics.Start(r);
                return await MultiStreamRunner.RunAsync(inputs, outputs, models.Build(r, loggers), pipelineOptions, sourceOptions, quiet, loggers, exporter).ConfigureAwait(false);
            }
            // One input keeps the single-stream path (a {name} in an output path is its stream's name).
            return await PipelineRunner.RunAsync(inputs[0].Input, MultiStreamRunner.OutputsFor(outputs, inputs[0].Name), models.Build(r, loggers),
                pipelineOptions, sourceOptions, quiet, loggers).ConfigureAwait(false);
        }));
    }
}
