using System.Text.Json;
using PoseTrack.Evaluation;

namespace PoseTrack.Tests.DoNoHarm;

/// <summary>
/// Source frame numbers everywhere: with --start the JSON lines, MOT and PoseTrack18 outputs number frames as a full
/// run does, so they line up with the video and its ground truth; eval mot warns when the numbering cannot match.
/// </summary>
public sealed class SourceFrameNumberTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("posetrack-frames-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Start_keeps_the_source_frame_numbers_in_json_mot_and_posetrack18()
    {
        var tud = TestData.Shared("data", "tracking", "TUD-Campus", "TUD-Campus.mp4");
        var full = CliProcess.Run(_dir, "track", "--input", tud, "--json", "full.jsonl", "-q");
        Assert.True(full.ExitCode == 0, full.Stderr);
        var part = CliProcess.Run(_dir, "track", "--input", tud, "--start", "2", "--json", "part.jsonl", "--mot", "part.txt", "--posetrack", "part.json", "-q");
        Assert.True(part.ExitCode == 0, part.Stderr);

        var fullFrames = Frames(Path.Combine(_dir, "full.jsonl"));
        var partFrames = Frames(Path.Combine(_dir, "part.jsonl"));
        Assert.NotEmpty(partFrames);
        Assert.True(partFrames[0].Frame > 0, "the first frame after --start 2 was numbered 0");
        // Every frame of the partial run has the number and time it has in the full run.
        var byNumber = fullFrames.ToDictionary(f => f.Frame, f => f.TimeMs);
        foreach (var (frame, time, _) in partFrames) Assert.Equal(byNumber[frame], time);
        Assert.Equal(fullFrames[^1].Frame, partFrames[^1].Frame);
        Assert.InRange(partFrames[0].TimeMs, 2000, 2000 + 1000.0 / 25 + 1);

        // MOT: 1-based source numbers, only frames of the partial run.
        var mot = MotFile.Read(Path.Combine(_dir, "part.txt"), MotFileKind.Hypothesis);
        Assert.NotEmpty(mot);
        var partSet = partFrames.Select(f => f.Frame + 1).ToHashSet();
        Assert.All(mot, row => Assert.Contains(row.Frame, partSet));
        Assert.Equal(partFrames.First(f => f.Persons > 0).Frame + 1, mot.Min(x => x.Frame));

        // PoseTrack18: image ids are the source frame numbers (in the dataset's 10000000000 + video × 10000 + frame style, video 0).
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "part.json")));
        var ids = doc.RootElement.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(partFrames.Select(f => PoseTrack.Sinks.PoseTrack18.ImageId(0, f.Frame)), ids);

        // Against the ground truth: the partial run scores on its frames as the full run does there.
        var gt = TestData.Shared("data", "tracking", "TUD-Campus", "gt", "gt.txt");
        var eval = CliProcess.Run(_dir, "eval", "mot", "--gt", gt, "--hyp", "part.txt");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.DoesNotContain("warning", eval.Stderr);
        // The GT frames before the start count as misses, so MOTA is low by construction; precision shows alignment
        // (misnumbered frames put every box on another frame's people).
        double Value(string key) => double.Parse(System.Text.RegularExpressions.Regex.Match(eval.Stdout, key + @"=(-?[0-9.]+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        double precision = Value("matches") / Value("hyp_boxes");
        Assert.True(precision > 0.8, $"{precision:F3} of the boxes after --start 2 match the ground truth: numbering off?\n{eval.Stdout}");
    }

    [Fact]
    public void Eval_mot_warns_when_ground_truth_and_hypothesis_share_few_frames()
    {
        var gt = Path.Combine(_dir, "gt.txt");
        var hyp = Path.Combine(_dir, "hyp.txt");
        File.WriteAllLines(gt, Enumerable.Range(1, 10).Select(f => $"{f},1,10,10,20,40,1,1,1"));
        File.WriteAllLines(hyp, Enumerable.Range(100, 10).Select(f => $"{f},1,10,10,20,40,0.9,-1,-1,-1"));
        var r = CliProcess.Run(_dir, "eval", "mot", "--gt", gt, "--hyp", hyp);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("posetrack: warning:", r.Stderr);
        Assert.Contains("share only 0 frames", r.Stderr);

        File.WriteAllLines(hyp, Enumerable.Range(1, 10).Select(f => $"{f},1,10,10,20,40,0.9,-1,-1,-1"));
        r = CliProcess.Run(_dir, "eval", "mot", "--gt", gt, "--hyp", hyp);
        Assert.Equal(0, r.ExitCode);
        Assert.DoesNotContain("warning", r.Stderr);
    }

    private static List<(long Frame, double TimeMs, int Persons)> Frames(string path) =>
        TestData.LogLines(path).Skip(1).Select(l =>
        {
            using var d = JsonDocument.Parse(l);
            var e = d.RootElement;
            return (e.GetProperty("frame").GetInt64(), e.GetProperty("time_ms").GetDouble(), e.GetProperty("persons").GetArrayLength());
        }).ToList();
}
