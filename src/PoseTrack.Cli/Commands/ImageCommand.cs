using System.CommandLine;
using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Sinks;
using PoseTrack.Rendering;

namespace PoseTrack.Cli.Commands;

/// <summary>
/// <c>posetrack image &lt;file|folder&gt; [--output FILE|DIR] [--json FILE]</c>: poses on still images. In a folder, a file
/// that is not a readable image gets one warning line and is skipped; the rest go on (exit 0, as <c>track</c> does for
/// image folders). A folder with no readable image at all is an error.
/// </summary>
internal static class ImageCommand
{
    public static Command Create()
    {
        var cmd = new Command("image", "Estimate poses on an image or a folder of images");
        var path = new Argument<string>("path") { Description = "An image file or a folder of images" };
        var output = new Option<string?>("--output", "-o") { Description = "Annotated image (for one image) or folder (for a folder)" };
        var json = new Option<string?>("--json") { Description = "Poses of every image as one JSON document" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only warnings and errors" };
        var models = new ModelArgs();
        cmd.Arguments.Add(path);
        cmd.Options.Add(output); cmd.Options.Add(json); cmd.Options.Add(quiet);
        models.AddTo(cmd);
        var draw = new DrawArgs();
        draw.AddTo(cmd);
        cmd.SetAction(r => CliErrors.Guard(() =>
        {
            using var loggers = Logging.Create(r.GetValue(quiet), false);
            var input = r.GetValue(path)!;
            var renderer = new SkeletonRenderer(draw.Build(r));
            bool folder = Directory.Exists(input);
            if (!folder && !File.Exists(input)) throw new PoseTrackException($"input not found: {input}");
            var files = folder
                ? Directory.EnumerateFiles(input).Order(StringComparer.Ordinal).ToList()
                : [input];
            if (files.Count == 0) throw new PoseTrackException($"folder has no files: {input}");

            var outPath = r.GetValue(output);
            var jsonPath = r.GetValue(json);
            bool quietRun = r.GetValue(quiet), defaulted = false;
            if (outPath is null && jsonPath is null)
            {
                if (folder)
                {
                    if (!quietRun) Console.Error.WriteLine("posetrack: no output given: counting people only (pass --output DIR for drawn images, --json FILE for the poses)");
                }
                else
                {
                    (outPath, jsonPath) = DefaultOutputs(input);
                    defaulted = true;
                }
            }
            // Drawing over the input would destroy the user's pictures.
            if (folder)
            {
                if (outPath is not null && Directory.Exists(outPath) && OutputSafety.IsSameFile(outPath, input))
                    throw new PoseTrackException($"--output {outPath} is the input folder: the drawn images would replace the originals (choose another folder)");
                OutputPaths.Check([.. files.Select(f => ("the input", (string?)f))], ("--json", jsonPath));
                if (outPath is not null && !Directory.Exists(outPath)) Directory.CreateDirectory(outPath);
            }
            else OutputPaths.Check([("the input", input)], ("--output", outPath), ("--json", jsonPath));
            if (defaulted && !quietRun) Console.Error.WriteLine($"posetrack: no output given: writing {outPath} and {jsonPath}");

            using var estimator = PoseEstimator.Create(models.Build(r, loggers));
            var results = new List<(string File, int W, int H, IReadOnlyList<Person> Persons)>();
            int skipped = 0;
            foreach (var file in files)
            {
                Mat image;
                try { image = ImageFiles.Read(file); }
                catch (PoseTrackException e) when (folder)
                {
                    Console.Error.WriteLine($"posetrack: warning: {e.Message} (skipped)");
                    skipped++;
                    continue;
                }
                using (image)
                {
                    var persons = estimator.Estimate(image);
                    results.Add((file, image.Cols, image.Rows, persons));
                    if (!quietRun) Console.Error.WriteLine($"{file}: {People(persons.Count)}");
                    if (outPath is not null)
                    {
                        renderer.Draw(image, persons);
                        var target = folder ? Path.Combine(outPath, Path.GetFileNameWithoutExtension(file) + ".jpg") : outPath;
                        if (!Cv2.ImWrite(target, image)) throw new PoseTrackException($"cannot write image {target}");
                    }
                }
            }
            if (jsonPath is not null) WriteJson(jsonPath, estimator, results);
            if (skipped == files.Count) throw new PoseTrackException($"folder has no readable images: {input}");
            return CliErrors.Ok;
        }));
        return cmd;
    }

    /// <summary>"1 person", "2 people", "0 people".</summary>
    internal static string People(int n) => n == 1 ? "1 person" : $"{n.ToString(System.Globalization.CultureInfo.InvariantCulture)} people";

    /// <summary>
    /// Outputs for one image given none: <c>NAME.posetrack.jpg</c> and <c>NAME.posetrack.json</c> beside it. A file
    /// already there is never replaced: then the user is told what to pass instead.
    /// </summary>
    internal static (string Image, string Json) DefaultOutputs(string input)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(input))!;
        var stem = Path.Combine(dir, Path.GetFileNameWithoutExtension(input) + ".posetrack");
        var (image, json) = (stem + ".jpg", stem + ".json");
        foreach (var existing in new[] { image, json }.Where(p => File.Exists(p) || Directory.Exists(p)))
            throw new PoseTrackException($"no output given and {existing} already exists (it is not replaced): pass --output FILE.jpg and/or --json FILE.json");
        return (image, json);
    }

    /// <summary>The poses of every image as one document, each person in the shared person schema (<see cref="PoseJson"/>) with its box score.</summary>
    private static void WriteJson(string path, PoseEstimator estimator, List<(string File, int W, int H, IReadOnlyList<Person> Persons)> results)
    {
        var doc = new ImagePosesJson(estimator.DetectorName, estimator.PoseModelName, estimator.Skeleton.Name, estimator.Skeleton.JointNames,
            results.Select(r => new ImagePersonsJson(r.File, r.W, r.H, [.. r.Persons.Select(p => PoseJson.Person(p, withBoxScore: true))])));
        using var stream = File.Create(path);
        PoseJson.Write(stream, doc, PoseJsonContext.Default.ImagePosesJson, indented: true);
    }
}
