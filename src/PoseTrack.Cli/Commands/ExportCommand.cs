using System.CommandLine;
using PoseTrack.Core;
using PoseTrack.Sinks;

namespace PoseTrack.Cli.Commands;

/// <summary>
/// <c>posetrack export RUN.jsonl --csv OUT.csv</c>: converts a finished (or killed) run's JSON lines log, so nothing
/// has to be re-run. The CSV is byte for byte the one <c>--csv</c> writes during the run (the same writer, the log's
/// rounded numbers). A partial last line of a killed run is skipped with a warning.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var cmd = new Command("export", "Convert a run's JSON lines log (--json) to another format, without re-running it");
        var log = new Argument<string>("log") { Description = "The run's JSON lines log (posetrack --json FILE)" };
        var csv = new Option<string?>("--csv") { Description = "CSV to write: one row per person per frame, as --csv writes it during a run" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only warnings and errors" };
        cmd.Arguments.Add(log);
        cmd.Options.Add(csv);
        cmd.Options.Add(quiet);
        cmd.SetAction((r, ct) => CliErrors.GuardAsync(ct, token =>
        {
            var logPath = r.GetValue(log)!;
            var csvPath = r.GetValue(csv) ?? throw new PoseTrackException("posetrack export needs an output: --csv FILE");
            if (!File.Exists(logPath)) throw new PoseTrackException($"run log not found: {logPath}");
            OutputPaths.Check([("the log", logPath)], ("--csv", csvPath));
            using var reader = JsonLinesReader.Open(logPath);
            long frames = 0, persons = 0;
            using (var sink = new CsvFileSink(csvPath, reader.Header.Skeleton))
            {
                while (reader.TryReadFrame(out var frame))
                {
                    token.ThrowIfCancellationRequested();
                    sink.Write(frame);
                    frames++;
                    persons += frame.Persons.Count;
                }
                sink.Complete();
            }
            if (reader.SkippedPartialLine)
                Console.Error.WriteLine($"posetrack: warning: {logPath} ends in an incomplete line (a killed run); it was skipped");
            if (!r.GetValue(quiet))
                Console.Error.WriteLine($"export: {Path.GetFullPath(csvPath)}: {frames} frame{(frames == 1 ? "" : "s")}, {persons} row{(persons == 1 ? "" : "s")}");
            return Task.FromResult(CliErrors.Ok);
        }, handleCtrlC: true, native: false));
        return cmd;
    }
}
