using System.CommandLine;
using PoseTrack.Core;
using PoseTrack.Sources;

namespace PoseTrack.Cli.Commands;

/// <summary>
/// <c>posetrack track --input VIDEO [--mot FILE] [--posetrack FILE] [--json FILE]</c>: detector + pose + tracker over a
/// video without drawing; the same pipeline as the main command, for evaluation and exports.
/// </summary>
internal static class TrackCommand
{
    public static Command Create()
    {
        var cmd = new Command("track", "Track people over a video and export the tracks (no drawing)");
        var pipeline = new PipelineArgs();
        var models = new ModelArgs();
        pipeline.AddTo(cmd);
        models.AddTo(cmd);
        cmd.SetAction((r, ct) => CliErrors.GuardAsync(async () =>
        {
            var input = pipeline.InputOf(r, "posetrack track") ?? throw new PoseTrackException("no input: give --input VIDEO");
            bool quiet = r.GetValue(pipeline.Quiet);
            using var loggers = Logging.Create(quiet, r.GetValue(pipeline.Verbose));
            var outputs = new RunOutputs(null, r.GetValue(pipeline.Json), r.GetValue(pipeline.Mot), r.GetValue(pipeline.PoseTrackJson), false, null) { Csv = r.GetValue(pipeline.Csv) };
            if (outputs is { Json: null, Mot: null, PoseTrackJson: null, Csv: null })
                throw new PoseTrackException("posetrack track needs at least one of --mot FILE, --posetrack FILE, --json FILE, --csv FILE");
            var sourceOptions = pipeline.BuildSource(r);
            return await PipelineRunner.RunAsync(input, outputs, models.Build(r, loggers), pipeline.Build(r, overlay: false), sourceOptions, quiet, loggers).ConfigureAwait(false);
        }));
        return cmd;
    }
}
