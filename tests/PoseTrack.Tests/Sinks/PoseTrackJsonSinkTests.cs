using System.Text.Json;
using PoseTrack.Core;
using PoseTrack.Sinks;

namespace PoseTrack.Tests.Sinks;

public sealed class PoseTrackJsonSinkTests
{
    /// <summary>Parses the file as another process would while the sink still has it open.</summary>
    private static JsonDocument ParseShared(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return JsonDocument.Parse(fs);
    }

    [Theory]
    [InlineData(200L)]
    [InlineData(3L)]     // frame count too small: only a capacity hint
    [InlineData(null)]   // unknown length
    public void EmptyDocumentWhileRunning_WholeDocumentAtComplete(long? expected)
    {
        var dir = TestData.TempDir();
        var path = Path.Combine(dir, "out.json");
        int frames = 200, persons = 0;
        using (var sink = new PoseTrackJsonSink(path, Skeleton.Coco17, "vtest_10s", expected))
        {
            Assert.False(sink.NeedsImage);
            for (int i = 0; i < frames; i++)
            {
                var f = SyntheticFrames.Frame(i);
                sink.Write(f, null);
                persons += f.Persons.Count;
                if (i % 50 != 0) continue;
                // Written at the end: meanwhile the file is the valid empty document.
                using var doc = ParseShared(path);
                Assert.Equal(0, doc.RootElement.GetProperty("images").GetArrayLength());
                Assert.Equal(0, doc.RootElement.GetProperty("annotations").GetArrayLength());
                Assert.Equal(1, doc.RootElement.GetProperty("categories").GetArrayLength());
            }
            sink.Complete();
            sink.Complete();
            Assert.Throws<InvalidOperationException>(() => sink.Write(SyntheticFrames.Frame(0), null));
        }
        Assert.False(File.Exists(path + ".tmp"));

        using var final = JsonDocument.Parse(File.ReadAllText(path));
        var root = final.RootElement;
        var images = root.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(frames, images.Count);
        // Not a PoseTrack18 folder: video 0, ids in the dataset's style, nframes the source's count (or the frames written).
        Assert.Equal(10_000_000_041L, images[41].GetProperty("id").GetInt64());
        Assert.Equal(10_000_000_041L, images[41].GetProperty("frame_id").GetInt64());
        Assert.Equal("vtest_10s/000041.jpg", images[41].GetProperty("file_name").GetString());
        Assert.True(images[41].GetProperty("is_labeled").GetBoolean());
        Assert.Equal("000000", images[41].GetProperty("vid_id").GetString());
        Assert.Equal(expected ?? frames, images[41].GetProperty("nframes").GetInt64());

        var cat = root.GetProperty("categories")[0];
        Assert.Equal("person", cat.GetProperty("supercategory").GetString());
        Assert.Equal(1, cat.GetProperty("id").GetInt32());
        Assert.Equal("person", cat.GetProperty("name").GetString());
        Assert.Equal(PoseTrack18.JointNames, cat.GetProperty("keypoints").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([16, 14], cat.GetProperty("skeleton")[0].EnumerateArray().Select(e => e.GetInt32()));

        var anns = root.GetProperty("annotations").EnumerateArray().ToList();
        Assert.Equal(persons, anns.Count);
        // Frame 3 holds persons with track ids 1, 2 and untracked (-1).
        var f3 = anns.Where(a => a.GetProperty("image_id").GetInt64() == 10_000_000_003L).ToList();
        Assert.Equal([1, 2, -1], f3.Select(a => a.GetProperty("track_id").GetInt32()));
        Assert.Equal([1_000_000_000_300L, 1_000_000_000_301L, 1_000_000_000_302L], f3.Select(a => a.GetProperty("id").GetInt64()));
        var exp = SyntheticFrames.Frame(3).Persons[0];
        var a0 = f3[0];
        Assert.Equal(["id", "image_id", "track_id", "category_id", "bbox", "keypoints", "scores", "score"], a0.EnumerateObject().Select(p => p.Name));
        Assert.Equal(51, a0.GetProperty("keypoints").GetArrayLength());
        Assert.Equal(17, a0.GetProperty("scores").GetArrayLength());
        Assert.Equal(Math.Round(exp.Keypoints[5].X, 2), a0.GetProperty("keypoints")[15].GetDouble(), 6);
        Assert.Equal(Math.Round(exp.Keypoints[5].Score, 3), a0.GetProperty("keypoints")[17].GetDouble(), 6);
        Assert.Equal(Math.Round(exp.Box.Width, 2), a0.GetProperty("bbox")[2].GetDouble(), 6);
        Assert.Equal(Math.Round(exp.Score, 3), a0.GetProperty("score").GetDouble(), 6);
    }

    [Fact]
    public void KilledRun_LeavesTheEmptyDocument_DisposeWithoutCompleteWritesTheFrames()
    {
        var dir = TestData.TempDir();
        var path = Path.Combine(dir, "live.json");
        var sink = new PoseTrackJsonSink(path, Skeleton.Coco17, "seq");
        for (int i = 0; i < 10; i++) sink.Write(SyntheticFrames.Frame(i), null);
        // Neither Complete nor Dispose: the state a SIGKILL leaves behind is the valid empty document.
        var copy = Path.Combine(dir, "copy.json");
        File.Copy(path, copy);
        using (var doc = JsonDocument.Parse(File.ReadAllText(copy)))
            Assert.Equal(0, doc.RootElement.GetProperty("images").GetArrayLength());
        // A second writer is refused while the sink holds the file, and does not touch it.
        Assert.Contains("being written by another process", Assert.Throws<PoseTrackException>(() => new PoseTrackJsonSink(path, Skeleton.Coco17, "seq")).Message);
        sink.Dispose(); // without Complete (a library user's fault path): the document is still written
        sink.Dispose();
        using var after = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal(10, after.RootElement.GetProperty("images").GetArrayLength());
        Assert.False(File.Exists(path + ".tmp"));
        using var again = new PoseTrackJsonSink(path, Skeleton.Coco17, "seq"); // released
    }

    [Fact]
    public void UnwritablePath_ThrowsPoseTrackException()
    {
        var dir = TestData.TempDir();
        var missing = Path.Combine(dir, "no", "out.json");
        Assert.Contains(missing, Assert.Throws<PoseTrackException>(() => new PoseTrackJsonSink(missing, Skeleton.Coco17, "s")).Message);
        Assert.Contains(dir, Assert.Throws<PoseTrackException>(() => new PoseTrackJsonSink(dir, Skeleton.Coco17, "s")).Message);
    }
}
