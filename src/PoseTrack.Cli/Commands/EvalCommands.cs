using System.CommandLine;
using System.Diagnostics;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Evaluation;

namespace PoseTrack.Cli.Commands;

/// <summary><c>posetrack eval coco</c>, <c>posetrack eval mot</c> and <c>posetrack eval mpii</c> (<see cref="MpiiEvalCommand"/>): accuracy against annotated data.</summary>
internal static class EvalCommands
{
    public static Command Create()
    {
        var eval = new Command("eval", "Measure accuracy against ground truth");
        eval.Subcommands.Add(Coco());
        eval.Subcommands.Add(Mot());
        eval.Subcommands.Add(MpiiEvalCommand.Create());
        return eval;
    }

    private static Command Coco()
    {
        var cmd = new Command("coco", "COCO keypoint AP (pycocotools semantics) of the models on COCO-annotated images");
        var annotations = new Option<string>("--annotations") { Description = "COCO person_keypoints ground-truth JSON", Required = true };
        var images = new Option<string>("--images") { Description = "Folder holding the images the annotations name", Required = true };
        var results = new Option<string>("--results") { Description = "Where to write the COCO results list (JSON)", Required = true };
        var gtBoxes = new Option<bool>("--gt-boxes") { Description = "Use every non-crowd annotated person's box (score 1) instead of the detector" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only warnings and the metrics" };
        var models = new ModelArgs();
        cmd.Options.Add(annotations); cmd.Options.Add(images); cmd.Options.Add(results); cmd.Options.Add(gtBoxes); cmd.Options.Add(quiet);
        models.AddTo(cmd);
        cmd.SetAction((r, ct) => CliErrors.GuardAsync(ct, token =>
        {
            using var loggers = Logging.Create(r.GetValue(quiet), false);
            var resultsPath = r.GetValue(results)!;
            OutputPaths.Check([("--annotations", r.GetValue(annotations))], ("--results", resultsPath));
            var gt = CocoKeypointsFile.Load(r.GetValue(annotations)!);
            var imageDir = r.GetValue(images)!;
            if (!Directory.Exists(imageDir)) throw new PoseTrackException($"images folder not found: {imageDir}");
            using var estimator = PoseEstimator.Create(models.Build(r, loggers));
            if (estimator.Skeleton.Count != CocoKeypointsFile.JointCount)
                throw new PoseTrackException($"COCO keypoint AP needs a COCO-17 pose model; {estimator.PoseModelName} outputs {estimator.Skeleton.Name}");
            bool useGt = r.GetValue(gtBoxes);
            // GT boxes by image, looked up once (crowd regions are not persons to estimate).
            var gtBoxesByImage = gt.Annotations.Where(a => !a.IsCrowd).ToLookup(a => a.ImageId);

            var found = new List<CocoKeypointResult>();
            var sw = Stopwatch.StartNew();
            foreach (var image in gt.Images)
            {
                token.ThrowIfCancellationRequested();
                var path = Path.Combine(imageDir, image.FileName);
                using var mat = ImageFiles.Read(path);
                IReadOnlyList<Person> persons;
                if (useGt)
                {
                    var boxes = gtBoxesByImage[image.Id]
                        .Select(a => new PersonDetection(new BoxF((float)a.Bbox.X, (float)a.Bbox.Y, (float)a.Bbox.Width, (float)a.Bbox.Height), 1f))
                        .ToList();
                    persons = estimator.EstimateInBoxes(mat, boxes);
                }
                else persons = estimator.Estimate(mat);
                found.AddRange(persons.Select(p => CocoKeypointResult.FromPerson(image.Id, p)));
            }
            CocoResultsFile.Write(resultsPath, found);
            var stats = CocoKeypointEvaluator.Evaluate(gt, found);
            if (!r.GetValue(quiet))
                Console.Error.WriteLine($"{gt.Images.Count} images, {found.Count} persons in {sw.Elapsed.TotalSeconds:F1} s; results: {resultsPath}");
            Console.WriteLine(stats.FormatSummary());
            return Task.FromResult(CliErrors.Ok);
        }, handleCtrlC: true));
        return cmd;
    }

    private static Command Mot()
    {
        var cmd = new Command("mot", "CLEAR-MOT (MOTA, MOTP, IDSW) and IDF1 of a tracking result against MOTChallenge ground truth");
        var gt = new Option<string>("--gt") { Description = "Ground truth, MOTChallenge text (frame,id,x,y,w,h,conf[,class,...])", Required = true };
        var hyp = new Option<string>("--hyp") { Description = "Tracker output, MOTChallenge text", Required = true };
        var noClass = new Option<bool>("--no-class-filter") { Description = "Do not read column 8 as a class (MOT15 3-D files)" };
        cmd.Options.Add(gt); cmd.Options.Add(hyp); cmd.Options.Add(noClass);
        // Text files only: no OpenCV runtime needed.
        cmd.SetAction((r, ct) => CliErrors.GuardAsync(ct, _ =>
        {
            var gtRows = MotFile.Read(r.GetValue(gt)!, MotFileKind.GroundTruth, !r.GetValue(noClass));
            var hypRows = MotFile.Read(r.GetValue(hyp)!, MotFileKind.Hypothesis, !r.GetValue(noClass));
            if (FrameOverlapWarning(gtRows, hypRows) is { } warning) Console.Error.WriteLine($"posetrack: warning: {warning}");
            var metrics = MotEvaluator.Evaluate(gtRows, hypRows);
            Console.WriteLine(metrics.Summary());
            return Task.FromResult(CliErrors.Ok);
        }, native: false));
        return cmd;
    }

    /// <summary>
    /// Files numbered differently (0- vs 1-based, or one renumbered from a later start) still evaluate, to a
    /// meaningless score: say so when they share fewer than half of the frames of the shorter one.
    /// </summary>
    internal static string? FrameOverlapWarning(IReadOnlyList<MotRecord> gt, IReadOnlyList<MotRecord> hyp)
    {
        var gtFrames = gt.Select(x => x.Frame).ToHashSet();
        var hypFrames = hyp.Select(x => x.Frame).ToHashSet();
        if (gtFrames.Count == 0 || hypFrames.Count == 0) return null;
        int shared = gtFrames.Count(hypFrames.Contains);
        if (shared * 2 >= Math.Min(gtFrames.Count, hypFrames.Count)) return null;
        return $"ground truth (frames {gtFrames.Min()}-{gtFrames.Max()}) and hypothesis (frames {hypFrames.Min()}-{hypFrames.Max()}) share only {shared} frames: are both numbered by the same video's frames, from 1?";
    }
}
