using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using PoseTrack.Core;
using PoseTrack.Evaluation;

namespace PoseTrack.Cli.Commands;

/// <summary>
/// <c>posetrack eval mpii --annotations FILE --images DIR [--gt-boxes] [--flip]</c>: PCKh@0.5 and @0.1 per joint of an
/// MPII-16 pose model on MPII-format annotations; the last line is <c>PCKh=0.xxx</c>.
/// </summary>
internal static class MpiiEvalCommand
{
    public static Command Create()
    {
        var cmd = new Command("mpii", "PCKh@0.5 and @0.1 per joint of an MPII-16 pose model on MPII-format annotations (head size = head top to upper neck)");
        var annotations = new Option<string>("--annotations") { Description = "MPII-format JSON: a list of {image, joints [16][2], joints_vis [16], center, scale}", Required = true };
        var images = new Option<string>("--images") { Description = "Folder holding the images the annotations name", Required = true };
        var gtBoxes = new Option<bool>("--gt-boxes") { Description = "Estimate each person in the box its centre and scale give (square, 1.25 x 200 x scale) instead of the detector's boxes" };
        var results = new Option<string?>("--results") { Description = "Also write the predicted joints (JSON list, one {image, joints [16][x,y,score]} per annotated person, in the annotations' order; null when not found)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only warnings and the metrics" };
        var models = new ModelArgs();
        cmd.Options.Add(annotations); cmd.Options.Add(images); cmd.Options.Add(gtBoxes); cmd.Options.Add(results); cmd.Options.Add(quiet);
        models.AddTo(cmd);
        cmd.SetAction((r, ct) => CliErrors.GuardAsync(ct, token =>
        {
            using var loggers = Logging.Create(r.GetValue(quiet), false);
            var resultsPath = r.GetValue(results);
            OutputPaths.Check([("--annotations", r.GetValue(annotations))], ("--results", resultsPath));
            var truth = MpiiAnnotationsFile.Load(r.GetValue(annotations)!);
            var imageDir = r.GetValue(images)!;
            if (!Directory.Exists(imageDir)) throw new PoseTrackException($"images folder not found: {imageDir}");
            using var estimator = PoseEstimator.Create(models.Build(r, loggers));
            if (estimator.Skeleton.Count != MpiiAnnotationsFile.JointCount)
                throw new PoseTrackException($"PCKh on MPII needs an MPII-16 pose model; {estimator.PoseModelName} outputs {estimator.Skeleton.Name}");
            bool useGt = r.GetValue(gtBoxes);

            var predictions = new Keypoint[]?[truth.Count];
            var sw = Stopwatch.StartNew();
            // Each image is read and (without --gt-boxes) detected once, for all of its annotated persons.
            foreach (var group in Enumerable.Range(0, truth.Count).GroupBy(i => truth[i].Image))
            {
                token.ThrowIfCancellationRequested();
                using var mat = ImageFiles.Read(Path.Combine(imageDir, group.Key));
                if (useGt)
                {
                    // One box per call: pose NMS must not merge two annotated persons whose boxes overlap.
                    foreach (int i in group)
                        predictions[i] = estimator.EstimateInBoxes(mat, [new PersonDetection(truth[i].Box, 1f)])[0].Keypoints;
                }
                else
                {
                    var found = estimator.Estimate(mat);
                    var boxes = found.Select(p => p.Box).ToList();
                    foreach (int i in group)
                        predictions[i] = MpiiPckhEvaluator.Match(truth[i], boxes) is var m and >= 0 ? found[m].Keypoints : null;
                }
            }
            if (resultsPath is not null) WriteResults(resultsPath, truth, predictions);
            var result = MpiiPckhEvaluator.Evaluate(truth, predictions);
            if (!r.GetValue(quiet))
                Console.Error.WriteLine($"{truth.Select(p => p.Image).Distinct().Count()} images, {truth.Count} annotated persons in {sw.Elapsed.TotalSeconds:F1} s ({estimator.PoseModelName}, {(useGt ? "annotated boxes" : "detector boxes")})");
            Console.WriteLine(result.FormatSummary());
            return Task.FromResult(CliErrors.Ok);
        }, handleCtrlC: true));
        return cmd;
    }

    /// <summary>The predictions beside their annotations' images, for checking joints by hand or with other tools.</summary>
    private static void WriteResults(string path, IReadOnlyList<MpiiPerson> truth, Keypoint[]?[] predictions)
    {
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartArray();
        for (int i = 0; i < truth.Count; i++)
        {
            w.WriteStartObject();
            w.WriteString("image", truth[i].Image);
            w.WritePropertyName("joints");
            if (predictions[i] is not { } joints) w.WriteNullValue();
            else
            {
                w.WriteStartArray();
                foreach (var k in joints)
                {
                    w.WriteStartArray();
                    w.WriteNumberValue(Math.Round(k.X, 2)); w.WriteNumberValue(Math.Round(k.Y, 2)); w.WriteNumberValue(Math.Round(k.Score, 4));
                    w.WriteEndArray();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
