using System.CommandLine;
using PoseTrack.Core;
using PoseTrack.Sinks;

namespace PoseTrack.Cli.Commands;

/// <summary>
/// <c>posetrack export RUN.jsonl --csv OUT.csv --mot OUT.txt --posetrack OUT.json</c>: converts a finished (or killed)
/// run's JSON lines log, so nothing has to be re-run. Each file is byte for byte the one the same option writes during
/// the run (the same sinks, the log's rounded numbers). A PoseTrack18 image folder named in the log's header is
/// listed again for its file names (as the run read it). A partial last line of a killed run is skipped with a warning.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var cmd = new Command("export", "Convert a run's JSON lines log (--json) to other formats, without re-running it");
        var log = new Argument<string>("log") { Description = "The run's JSON lines log (posetrack --json FILE)" };
        var csv = new Option<string?>("--csv") { Description = "CSV to write: one row per person per frame, as --csv writes it during a run" };
        var mot = new Option<string?>("--mot") { Description = "MOTChallenge text to write, as --mot writes it during a run" };
        var poseTrack = new Option<string?>("--posetrack") { Description = "PoseTrack18 JSON to write, as --posetrack writes it during a run" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only warnings and errors" };
        cmd.Arguments.Add(log);
        cmd.Options.Add(csv);
        cmd.Options.Add(mot);
        cmd.Options.Add(poseTrack);
        cmd.Options.Add(quiet);
        cmd.SetAction((r, ct) => CliErrors.GuardAsync(ct, token =>
        {
            var logPath = r.GetValue(log)!;
            var (csvPath, motPath, ptPath) = (r.GetValue(csv), r.GetValue(mot), r.GetValue(poseTrack));
            if (csvPath is null && motPath is null && ptPath is null)
                throw new PoseTrackException("posetrack export needs an output: --csv FILE, --mot FILE and/or --posetrack FILE");
            if (!File.Exists(logPath)) throw new PoseTrackException($"run log not found: {logPath}");
            OutputPaths.Check([("the log", logPath)], ("--csv", csvPath), ("--mot", motPath), ("--posetrack", ptPath));
            using var reader = JsonLinesReader.Open(logPath);
            long frames = 0, persons = 0;
            CsvFileSink? csvSink = null;
            MotFileSink? motSink = null;
            PoseTrackJsonSink? ptSink = null;
            try
            {
                if (csvPath is not null) csvSink = new CsvFileSink(csvPath, reader.Header.Skeleton);
                if (motPath is not null) motSink = new MotFileSink(motPath);
                if (ptPath is not null) ptSink = new PoseTrackJsonSink(ptPath, reader.Header.Skeleton, SequenceOf(reader.Header));
                while (reader.TryReadFrame(out var frame))
                {
                    token.ThrowIfCancellationRequested();
                    csvSink?.Write(frame);
                    motSink?.Write(frame);
                    ptSink?.Write(frame);
                    frames++;
                    persons += frame.Persons.Count;
                }
                csvSink?.Complete();
                motSink?.Complete();
                ptSink?.Complete();
            }
            finally
            {
                csvSink?.Dispose();
                motSink?.Dispose();
                ptSink?.Dispose();
            }
            if (reader.SkippedPartialLine)
                Console.Error.WriteLine($"posetrack: warning: {logPath} ends in an incomplete line (a killed run); it was skipped");
            if (!r.GetValue(quiet))
                foreach (var (written, unit) in new[] { (csvPath, "row"), (motPath, "person"), (ptPath, "person") })
                    if (written is not null)
                        Console.Error.WriteLine($"export: {Path.GetFullPath(written)}: {frames} frame{(frames == 1 ? "" : "s")}, {persons} {unit}{(persons == 1 ? "" : "s")}");
            return Task.FromResult(CliErrors.Ok);
        }, handleCtrlC: true, native: false));
        return cmd;
    }

    /// <summary>
    /// The PoseTrack18 sequence of the logged run: an image folder that still exists is listed as the run listed it
    /// (so a PoseTrack18 folder keeps its file names and ids); anything else is named after the input.
    /// </summary>
    private static PoseTrackSequence SequenceOf(JsonLinesHeader header)
    {
        IReadOnlyList<string>? images = null;
        if (Directory.Exists(header.Input))
        {
            using var folder = new PoseTrack.Sources.ImageFolderSource(header.Input);
            images = folder.Images;
        }
        return PoseTrackSequence.For(header.Input, images, header.FrameCount);
    }
}
