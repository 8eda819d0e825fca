using System.Text.Json;
using PoseTrack.ModelImport;
using Xunit.Abstractions;

namespace PoseTrack.Tests.ModelImport;

/// <summary>
/// Tiny TFJS graphs written and run by TensorFlow.js (tools/tfjs-golden/make-golden.mjs → Golden/ops*), converted here
/// and run in ONNX Runtime: every output must match TFJS's.
/// </summary>
public sealed class TfjsOpGoldenTests(ITestOutputHelper output)
{
    private static JsonDocument Golden() => JsonDocument.Parse(File.ReadAllText(Path.Combine(ImportTestUtil.GoldenDir, "ops-golden.json")));

    public static TheoryData<string> Cases()
    {
        using var doc = Golden();
        var data = new TheoryData<string>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConvertedGraph_MatchesTfjs(string name)
    {
        using var doc = Golden();
        var c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var modelPath = Path.Combine(ImportTestUtil.GoldenDir, c.GetProperty("model").GetString()!);
        var bytes = TfjsImporter.ConvertToBytes(modelPath, new TfjsImportOptions { AdaptInputLayout = false }, out var report);
        output.WriteLine($"{name}: TF {string.Join(" ", report.TfOps.Select(kv => $"{kv.Key}×{kv.Value}"))} → ONNX {string.Join(" ", report.OnnxOps.Select(kv => $"{kv.Key}×{kv.Value}"))}");

        var inputs = c.GetProperty("inputs").EnumerateObject().Select(p => TestTensor.FromJson(p.Name, p.Value)).ToList();
        var actual = ImportTestUtil.Run(bytes, inputs);
        foreach (var o in c.GetProperty("outputs").EnumerateArray())
        {
            var expected = TestTensor.FromJson(o.GetProperty("name").GetString()!, o);
            Assert.True(actual.TryGetValue(expected.Name, out var got), $"{name}: output {expected.Name} missing (have {string.Join(",", actual.Keys)})");
            Assert.Equal(expected.Shape, got!.Shape);
            if (expected.Floats is { } ef)
            {
                var gf = got.Floats ?? got.Ints!.Select(v => (float)v).ToArray();
                double worst = 0;
                for (int i = 0; i < ef.Length; i++) worst = Math.Max(worst, Math.Abs(ef[i] - gf[i]) / Math.Max(1, Math.Abs(ef[i])));
                output.WriteLine($"  {expected.Name} {string.Join("x", expected.Shape)}: max error {worst:E2}");
                Assert.True(worst <= 1e-5, $"{name}/{expected.Name}: max error {worst:E2}\nexpected {string.Join(",", ef.Take(24))}\nactual   {string.Join(",", gf.Take(24))}");
            }
            else
            {
                Assert.Equal(expected.Ints!, got.Ints ?? got.Floats!.Select(v => (long)v).ToArray());
                output.WriteLine($"  {expected.Name} {string.Join("x", expected.Shape)}: exact");
            }
        }
    }
}
