using PoseTrack.Core;
using PoseTrack.Sinks;

namespace PoseTrack.Tests.DoNoHarm;

/// <summary>
/// One output-path check (<see cref="OutputSafety.CheckPath"/>): the up-front check of the CLI and every sink that
/// opens a file give the same one-line message for an empty path, a folder and a missing folder.
/// </summary>
public sealed class OutputPathCheckTests
{
    private readonly string _dir = TestData.TempDir("posetrack-pathcheck");

    public static TheoryData<string> Cases => new() { "folder", "missing", "empty" };

    private string PathFor(string kind) => kind switch
    {
        "folder" => _dir,
        "missing" => Path.Combine(_dir, "no", "such", "o.out"),
        _ => " ",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EverySinkGivesTheOneCheck_sMessage(string kind)
    {
        var path = PathFor(kind);
        var header = new JsonLinesHeader("in.mp4", 8, 8, 25, null, "d", "p", Skeleton.Coco17, DateTimeOffset.UnixEpoch);
        var messages = new (string What, Action Open)[]
        {
            ("JSON lines output", () => new JsonLinesSink(path, header).Dispose()),
            ("MOT output", () => new MotFileSink(path).Dispose()),
            ("PoseTrack JSON output", () => new PoseTrackJsonSink(path, Skeleton.Coco17, "s").Dispose()),
            ("video output", () => new VideoFileSink(kind == "missing" ? Path.ChangeExtension(path, ".mkv") : path, 64, 48, 25, kind == "missing" ? null : "mp4v").Dispose()),
        };
        foreach (var (what, open) in messages)
        {
            var e = Assert.Throws<PoseTrackException>(open);
            var expected = Assert.Throws<PoseTrackException>(() => OutputSafety.CheckPath(what, kind == "missing" && what == "video output" ? Path.ChangeExtension(path, ".mkv") : path));
            Assert.Equal(expected.Message, e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.StartsWith(what, e.Message, StringComparison.Ordinal);
            Assert.Contains(kind switch { "folder" => "is a folder, not a file", "missing" => "does not exist", _ => "needs a file name" }, e.Message);
            if (kind != "empty") Assert.Contains(kind == "missing" ? Path.Combine(_dir, "no", "such") : path, e.Message);
        }
    }

    [Fact]
    public void TheUpFrontCheck_UsesTheSameCheck_AndCreatesNothing()
    {
        var missing = PathFor("missing");
        var e = Assert.Throws<PoseTrackException>(() => OutputSafety.Check([], [("--json", missing)]));
        Assert.Equal(Assert.Throws<PoseTrackException>(() => OutputSafety.CheckPath("--json", missing)).Message, e.Message);
        var ok = Path.Combine(_dir, "new.jsonl");
        OutputSafety.Check([], [("--json", ok)]);
        Assert.False(File.Exists(ok), "the write probe left its file");
        Assert.Null(OutputSafety.WriteProbe(ok, out bool free));
        Assert.True(free);
        Assert.False(File.Exists(ok));
    }
}
