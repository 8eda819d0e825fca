using CsCheck;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace PoseTrack.Tests.Hardening;

/// <summary>
/// Random command lines built from the real option names with random values, run as the real process (50 runs,
/// fixed seed): every run ends with exit code 0 or 2, never an internal error, an unhandled exception or a stack
/// trace, and a failure says so in a <c>posetrack: error:</c> line.
/// </summary>
public sealed class CliFuzzTests(ITestOutputHelper output)
{
    private const int Runs = 50;

    private static readonly string[] Numbers = ["0", "1", "-1", "0.5", "2", "-0.001", "1e309", "NaN", "Infinity", "-Infinity", "abc", "", " ", "3", "99999999999", "0x10", "1,5"];
    private static readonly string[] OnOff = ["on", "off", "yes", "no", "true", "maybe", "", "ON"];
    private static readonly string[] Paths = ["o.jsonl", "o.mp4", "o.mkv", "o.avi", "o.txt", "o.json", "o.xyz", "", " ", "no/such/dir/x.jsonl", ".", "sub", "/nonexistent/x.json", "o.jsonl"];

    /// <summary>Option name → the values it may get (valid and not).</summary>
    private static Dictionary<string, string[]> Options(string demo, string models) => new()
    {
        ["--input"] = [demo, demo, "missing.mp4", "", "7", "http://127.0.0.1:9/x", "rtsp://[bad", ".", "file://" + demo, "-1"],
        ["--camera"] = ["7", "-1", "abc", "99"],
        ["--output"] = Paths, ["--json"] = Paths, ["--mot"] = Paths, ["--posetrack"] = Paths,
        ["--fourcc"] = ["mp4v", "MJPG", "abc", "abcd", "", "XVID"],
        ["--models"] = [models, "/nonexistent", "", "."],
        ["--detector"] = ["rtmdet-nano", "yolox", "simplepose-nano", "nosuch", "", "x.onnx", "/etc/passwd"],
        ["--pose-model"] = ["simplepose-nano", "rtmdet-nano", "nosuch", "", "x.onnx"],
        ["--device"] = ["auto", "cpu", "cuda", "tensorrt", "quantum", ""],
        ["--pose-batching"] = ["auto", "loop", "sometimes"],
        ["--centre-prior"] = ["model", "box", "joints-in-box", "sideways", ""],
        ["--tracker"] = ["oks", "iou", "IOU", "magic", ""],
        ["--smooth"] = OnOff, ["--predict-motion"] = OnOff, ["--iou-second-stage"] = OnOff,
        ["--drop-frames"] = ["auto", "on", "off", "sometimes"],
        ["--threads"] = Numbers, ["--det-threshold"] = Numbers, ["--min-box"] = Numbers, ["--pose-nms"] = Numbers,
        ["--det-every"] = Numbers, ["--smooth-min-cutoff"] = Numbers, ["--smooth-beta"] = Numbers, ["--smooth-d-cutoff"] = Numbers,
        ["--match-threshold"] = Numbers, ["--oks-weight"] = Numbers, ["--iou-threshold"] = Numbers, ["--kp-threshold"] = Numbers,
        ["--max-age"] = Numbers, ["--max-frames"] = Numbers, ["--start"] = Numbers, ["--channel-capacity"] = Numbers, ["--fps"] = Numbers,
    };

    private static readonly string[] Flags = ["--flip", "--dark", "--no-overlay", "--verbose", "--quiet", "-q", "--show", "--bogus", "-x"];

    [Fact]
    public void RandomCommandLines_EndWithExit0Or2_AndNeverAStackTrace()
    {
        var demo = TestData.Shared("data", "video", "mmpose_demo.mp4");
        var options = Options(demo, TestData.ModelsDir);
        var names = options.Keys.ToArray();
        var pair = Gen.Int[0, names.Length - 1].SelectMany(i => Gen.OneOf(options[names[i]]).Select(v => new[] { names[i], v }));
        var gen = Gen.Select(
                Gen.Frequency((6, Gen.Const<string[]>([])), (3, Gen.Const<string[]>(["track"])), (1, Gen.Const<string[]>(["image"]))),
                Gen.Bool, pair.Array[1, 4], Gen.OneOf(Flags).Array[0, 2])
            .Select(t =>
            {
                var (command, withBase, pairs, flags) = t;
                var args = new List<string>(command);
                // Most runs start from a valid one-frame job so that a random option is what decides the outcome.
                if (withBase) args.AddRange(["--input", demo, "--max-frames", "1", "--json", "base.jsonl"]);
                foreach (var p in pairs) args.AddRange(p);
                args.AddRange(flags);
                if (!args.Contains("--show")) args.Add("-q");
                return args.ToArray();
            });

        var pcg = new PCG(1, ParserFuzzTests.Seed(16));
        var cases = Enumerable.Range(0, Runs).Select(i => gen.Generate(pcg, null!, out _)).ToList();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var codes = new System.Collections.Concurrent.ConcurrentBag<int>();
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = 2 }, args =>
        {
            var dir = TestData.TempDir("clifuzz");
            Directory.CreateDirectory(Path.Combine(dir, "sub"));
            var r = CliProcess.Run(dir, TimeSpan.FromSeconds(90), args);
            codes.Add(r.ExitCode);
            var shown = string.Join(' ', args.Select(a => a.Length == 0 || a.Contains(' ') ? $"'{a}'" : a));
            var problem =
                r.ExitCode is not (0 or 2) ? $"exit code {r.ExitCode}"
                : r.Stderr.Contains("internal error", StringComparison.Ordinal) ? "internal error"
                : r.Stderr.Contains("Unhandled", StringComparison.Ordinal) || r.Stderr.Contains("   at ", StringComparison.Ordinal) ? "stack trace"
                : r.ExitCode == 2 && !HardeningCli.ErrLines(r).Any(l => l.StartsWith("posetrack: error: ", StringComparison.Ordinal)) ? "exit 2 without an error line"
                : null;
            if (problem is not null) failures.Add($"{problem}: posetrack {shown}\n{r.Stderr}");
        });
        output.WriteLine($"{Runs} runs: exit 0 × {codes.Count(c => c == 0)}, exit 2 × {codes.Count(c => c == 2)}");
        if (!failures.IsEmpty) throw new XunitException($"{failures.Count} of {Runs} runs broke the rules:\n" + string.Join("\n---\n", failures));
        Assert.Contains(0, codes);
    }
}
