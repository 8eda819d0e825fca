using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using PoseTrack.Core;
using PoseTrack.Evaluation;
using PoseTrack.Models;
using PoseTrack.Sinks;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace PoseTrack.Tests.Hardening;

/// <summary>
/// Fuzzing of every reader of user files with CsCheck generators, deterministic (fixed PCG seeds, one thread):
/// random and mutated inputs either parse or fail with a <see cref="PoseTrackException"/> whose message is one
/// non-empty line. Any other exception type is a bug.
/// </summary>
public sealed class ParserFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 3000;

    /// <summary>Runs <paramref name="property"/> on <paramref name="count"/> generated cases from a fixed seed; returns how many parsed.</summary>
    internal static int Fuzz<T>(Gen<T> gen, ulong seed, int count, Func<T, bool> property, Func<T, string> print)
    {
        seed = Seed(seed);
        var pcg = new PCG(1, seed);
        int accepted = 0;
        for (int i = 0; i < count; i++)
        {
            var input = gen.Generate(pcg, null!, out _);
            try
            {
                if (property(input)) accepted++;
            }
            catch (PoseTrackException e)
            {
                if (string.IsNullOrWhiteSpace(e.Message) || e.Message.Contains('\n') || e.Message.Contains('\r'))
                    throw new XunitException($"case {i} (seed {seed}): the message is not one non-empty line: [{e.Message}]\ninput: {print(input)}");
            }
            catch (Exception e)
            {
                throw new XunitException($"case {i} (seed {seed}): {e.GetType().Name}: {e.Message}\ninput: {print(input)}\n{e.StackTrace}");
            }
        }
        return accepted;
    }

    /// <summary>The fixed seed, shifted by POSETRACK_FUZZ_SEED when set (to explore other cases by hand).</summary>
    internal static ulong Seed(ulong fixedSeed) =>
        ulong.TryParse(Environment.GetEnvironmentVariable("POSETRACK_FUZZ_SEED"), out var shift) ? fixedSeed + shift * 1000 : fixedSeed;

    private static string Show(string s) => s.Length > 2000 ? s[..2000] + "…" : s;

    // ---- generators ----

    private static readonly string[] NastyNumbers =
        ["0", "-0", "1", "-1", "1.5", "-2.25", "1e308", "1e400", "-1e400", "NaN", "Infinity", "-Infinity", "2147483648", "-2147483649",
         "9223372036854775808", "1e-320", "0x10", "1,5", "", " ", "abc", "+3", ".5", "5.", "1e", "٣"];

    private static readonly Gen<string> NumberToken = Gen.Frequency(
        (4, Gen.Int[-5, 200].Select(i => i.ToString(CultureInfo.InvariantCulture))),
        (3, Gen.Double[-1000, 1000].Select(d => d.ToString("R", CultureInfo.InvariantCulture))),
        (2, Gen.OneOf(NastyNumbers)),
        (1, Gen.String[0, 4]));

    private static readonly Gen<string> MotLine = Gen.Frequency(
        (6, NumberToken.Array[0, 12].SelectMany(fields => Gen.OneOf(",", " ", "\t", ", ", ",,").Select(sep => string.Join(sep, fields)))),
        (1, Gen.String[0, 30]),
        (1, Gen.OneOf("", "   ", "\t", "1,2,3,4,5,6", "1,1,0,0,10,10,1,-1,-1,-1", "1 1 0 0 10 10", "\uFEFF1,1,1,1,1,1")));

    private static readonly Gen<string> MotText = MotLine.Array[0, 15].SelectMany(lines =>
        Gen.OneOf("\n", "\r\n", "\r").Select(nl => string.Join(nl, lines)));

    private static readonly JsonNode?[] NastyValues =
    [
        null, true, false, "", "x\ny", "\u0000", "😀", -1, 0, 1, 2, 0.5, 1e308, -1e308, 2147483648L, -2147483649L, long.MaxValue,
        1e-320, 3.7, new JsonArray(), new JsonObject(), new JsonArray(1, 2), new JsonArray(1, 2, 3, 4), "NaN", "rtmdet-nano",
    ];

    /// <summary>Random edits of a valid JSON document: values replaced, properties removed, text cut or spliced.</summary>
    private static Gen<string> MutatedJson(string valid) =>
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, int.MaxValue].Array[1, 4], Gen.String[0, 6]).Select(t => Mutate(valid, t.Item1, t.Item2, t.Item3));

    private static string Mutate(string valid, int kind, int[] picks, string junk)
    {
        switch (kind)
        {
            case 0: case 1: case 2:
            {
                // Structural: replace (or remove) some nodes.
                var root = JsonNode.Parse(valid)!;
                foreach (var pick in picks)
                {
                    var nodes = new List<JsonNode>();
                    Collect(root, nodes);
                    if (nodes.Count == 0) break;
                    var node = nodes[pick % nodes.Count];
                    var parent = node.Parent;
                    if (parent is JsonObject o)
                    {
                        var name = node.GetPropertyName();
                        if (kind == 2) o.Remove(name);
                        else o[name] = NastyValues[pick % NastyValues.Length]?.DeepClone();
                    }
                    else if (parent is JsonArray a)
                    {
                        int index = node.GetElementIndex();
                        if (kind == 2) a.RemoveAt(index);
                        else a[index] = NastyValues[pick % NastyValues.Length]?.DeepClone();
                    }
                }
                return root.ToJsonString();
            }
            case 3:
                return valid[..(picks[0] % (valid.Length + 1))];   // cut
            case 4:
            {
                var sb = new StringBuilder(valid);
                foreach (var pick in picks) { if (sb.Length > 0) sb.Remove(pick % sb.Length, 1 + pick % 3 % Math.Max(1, sb.Length - pick % sb.Length)); }
                return sb.ToString();
            }
            default:
            {
                var sb = new StringBuilder(valid);
                foreach (var pick in picks) sb.Insert(pick % (sb.Length + 1), junk.Length > 0 ? junk : "\"");
                return sb.ToString();
            }
        }
    }

    private static void Collect(JsonNode node, List<JsonNode> into)
    {
        if (node.Parent is not null) into.Add(node);
        if (node is JsonObject o) foreach (var (_, v) in o) { if (v is not null) Collect(v, into); }
        else if (node is JsonArray a) foreach (var v in a) { if (v is not null) Collect(v, into); }
    }

    private static string Keypoints(int n, double v) => string.Join(",", Enumerable.Range(0, n).Select(i => (v + i).ToString(CultureInfo.InvariantCulture)));

    private static readonly string ValidCocoGt =
        "{\"images\":[{\"id\":1,\"file_name\":\"a.jpg\",\"width\":640,\"height\":480},{\"id\":2,\"file_name\":\"b.jpg\"}]," +
        "\"annotations\":[{\"id\":10,\"image_id\":1,\"category_id\":1,\"bbox\":[10,20,30,40],\"area\":1200,\"iscrowd\":0,\"num_keypoints\":17,\"keypoints\":[" + Keypoints(51, 2) + "]}," +
        "{\"id\":11,\"image_id\":2,\"category_id\":1,\"bbox\":[1,2,3,4],\"area\":12.5,\"iscrowd\":1,\"num_keypoints\":0,\"keypoints\":[" + Keypoints(51, 0) + "]}]," +
        "\"categories\":[{\"id\":1,\"name\":\"person\"}]}";

    private static readonly string ValidCocoResults =
        "[{\"image_id\":1,\"category_id\":1,\"keypoints\":[" + Keypoints(51, 5) + "],\"score\":0.9}," +
        "{\"image_id\":2,\"category_id\":1,\"keypoints\":[" + Keypoints(51, 1) + "],\"score\":0.25}]";

    // ---- properties ----

    [Fact]
    public void MotParser_AcceptsOrRejectsWithOneLine()
    {
        int ok = Fuzz(MotText, 11, Cases, text =>
        {
            foreach (var kind in new[] { MotFileKind.GroundTruth, MotFileKind.Hypothesis })
            {
                var rows = MotFile.Parse(new StringReader(text), "fuzz.txt", kind);
                Assert.All(rows, r => Assert.True(r.Frame >= 1 && r.Width >= 0 && r.Height >= 0));
            }
            return true;
        }, Show);
        output.WriteLine($"MOT: {Cases} cases, {ok} parsed");
        Assert.InRange(ok, Cases / 50, Cases - Cases / 50);   // the generator reaches both outcomes
    }

    [Fact]
    public void CocoGroundTruthParser_AcceptsOrRejectsWithOneLine()
    {
        var gen = Gen.Frequency((8, MutatedJson(ValidCocoGt)), (1, Gen.String[0, 40]));
        int ok = Fuzz(gen, 12, Cases, text => CocoKeypointsFile.Parse(text, "fuzz_gt.json") is not null, Show);
        output.WriteLine($"COCO GT: {Cases} cases, {ok} parsed");
        Assert.InRange(ok, 1, Cases - 1);
    }

    [Fact]
    public void CocoResultsParser_AcceptsOrRejectsWithOneLine()
    {
        var gen = Gen.Frequency((8, MutatedJson(ValidCocoResults)), (1, Gen.String[0, 40]));
        int ok = Fuzz(gen, 13, Cases, text => CocoResultsFile.Parse(text, "fuzz_res.json") is not null, Show);
        output.WriteLine($"COCO results: {Cases} cases, {ok} parsed");
        Assert.InRange(ok, 1, Cases - 1);
    }

    [Fact]
    public void ModelManifest_LoadsOrRejectsWithOneLine()
    {
        var valid = File.ReadAllText(Path.Combine(TestData.ModelsDir, "models.json"));
        var dir = TestData.TempDir("fuzz-models");
        var path = Path.Combine(dir, "models.json");
        var gen = Gen.Frequency((8, MutatedJson(valid)), (1, Gen.String[0, 40]));
        int ok = Fuzz(gen, 14, Cases, text =>
        {
            File.WriteAllText(path, text);
            var manifest = ModelManifest.Load(dir);
            // What the estimator does next with a loaded manifest: resolve the defaults and find their files.
            foreach (var (name, task) in new[] { (manifest.Defaults.Detector, ModelTask.Detector), (manifest.Defaults.Pose, ModelTask.Pose) })
                _ = manifest.PathOf(manifest.Resolve(name, task));
            return true;
        }, Show);
        output.WriteLine($"models.json: {Cases} cases, {ok} loaded");
        Assert.InRange(ok, 1, Cases - 1);
    }

    [Fact]
    public void JsonLinesReader_ReadsOrRejectsWithOneLine()
    {
        var dir = TestData.TempDir("fuzz-jsonl");
        var validPath = Path.Combine(dir, "valid.jsonl");
        var header = new JsonLinesHeader("v.mp4", 64, 48, 25, 3, "rtmdet-nano", "simplepose-nano", Skeleton.Coco17, DateTimeOffset.UnixEpoch);
        using (var sink = new JsonLinesSink(validPath, header))
        {
            for (int f = 0; f < 3; f++)
            {
                var kps = Enumerable.Range(0, 17).Select(k => new Keypoint(k + f, 2 * k, 0.5f)).ToArray();
                sink.Write(new FrameResult(f, f * 40, 64, 48, [new Person(new BoxF(1, 2, 30, 40), 0.8f, kps, Skeleton.Coco17) { TrackId = f + 1 }]), null);
            }
            sink.Complete();
        }
        var lines = File.ReadAllLines(validPath);
        var path = Path.Combine(dir, "fuzz.jsonl");

        // Per case: each line kept, dropped, or mutated as JSON; then maybe the bytes cut or garbage appended.
        var lineGen = Gen.Int[0, lines.Length - 1].SelectMany(i => Gen.Frequency(
            (5, Gen.Const(lines[i])), (4, MutatedJson(lines[i])), (1, Gen.String[0, 20])));
        var gen = Gen.Select(lineGen.Array[0, 6], Gen.Int[0, 3], Gen.Int[0, int.MaxValue], Gen.Byte.Array[0, 16])
            .Select(t =>
            {
                var (chosen, tail, cut, garbage) = t;
                var text = Encoding.UTF8.GetBytes(string.Join("\n", chosen) + (tail == 0 ? "" : "\n"));
                if (tail == 2) text = text[..(cut % (text.Length + 1))];
                if (tail == 3) text = [.. text, .. garbage];
                return text;
            });
        int ok = Fuzz(gen, 15, Cases, bytes =>
        {
            File.WriteAllBytes(path, bytes);
            var content = JsonLinesReader.ReadAll(path);
            Assert.NotNull(content.Header);
            return true;
        }, b => Show(Encoding.UTF8.GetString(b)));
        output.WriteLine($"JSON lines: {Cases} cases, {ok} read");
        Assert.InRange(ok, 1, Cases - 1);
    }
}
