using System.Text.Json;
using PoseTrack.Core;
using PoseTrack.Sinks;
using PoseTrack.Sources;

namespace PoseTrack.Tests.Sinks;

/// <summary>
/// The PoseTrack18 export against the dataset's own annotation files (../shared/data/posetrack18/annotations/): the
/// same category, the same image and annotation fields with the same JSON types, ids in the same style, and for a
/// PoseTrack18 image folder its own file names and ids.
/// </summary>
public sealed class PoseTrack18LayoutTests
{
    private static string Sequence => TestData.Shared("data", "posetrack18", "images", "val", "003418_mpii_test");
    private static string Annotations => TestData.Shared("data", "posetrack18", "annotations", "val", "003418_mpii_test.json");

    /// <summary>Writes <paramref name="frames"/> synthetic frames of <paramref name="sequence"/> and parses the document.</summary>
    private static JsonElement Export(PoseTrackSequence sequence, int frames)
    {
        var path = Path.Combine(TestData.TempDir(), "pt.json");
        using (var sink = new PoseTrackJsonSink(path, Skeleton.Coco17, sequence))
        {
            for (int i = 0; i < frames; i++) sink.Write(SyntheticFrames.Frame(3) with { Index = i }, null);
            sink.Complete();
        }
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
    }

    private static string Compact(JsonElement e) => JsonSerializer.Serialize(e);

    private static Dictionary<string, JsonValueKind> Kinds(JsonElement o) =>
        o.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False ? JsonValueKind.True : p.Value.ValueKind);

    [Fact]
    public void AnImageFolderOfTheDataset_KeepsItsFileNamesAndIds_InTheDatasetsLayout()
    {
        using var gtDoc = JsonDocument.Parse(File.ReadAllText(Annotations));
        var gt = gtDoc.RootElement;
        using var folder = new ImageFolderSource(Sequence);
        var sequence = PoseTrackSequence.For(Sequence, folder.Images, folder.Info.FrameCount);
        Assert.Equal(3418, sequence.VideoNumber);
        var mine = Export(sequence, 1);

        // The category poseval checks: PoseTrack18's keypoint names in its order, and its skeleton.
        var gtCat = gt.GetProperty("categories")[0];
        var cat = mine.GetProperty("categories")[0];
        Assert.Equal(Compact(gtCat.GetProperty("keypoints")), Compact(cat.GetProperty("keypoints")));
        Assert.Equal(Compact(gtCat.GetProperty("skeleton")), Compact(cat.GetProperty("skeleton")));
        foreach (var key in new[] { "supercategory", "id", "name" })
            Assert.Equal(Compact(gtCat.GetProperty(key)), Compact(cat.GetProperty(key)));

        // The image: the dataset's own id, frame id, file name and video id; the fields poseval reads, of the same JSON types.
        var gtImage = gt.GetProperty("images")[0];
        var image = mine.GetProperty("images")[0];
        foreach (var key in new[] { "id", "frame_id", "file_name", "vid_id", "is_labeled" })
            Assert.Equal(Compact(gtImage.GetProperty(key)), Compact(image.GetProperty(key)));
        var gtKinds = Kinds(gtImage);
        foreach (var (key, kind) in Kinds(image)) Assert.Equal(gtKinds[key], kind);
        Assert.Equal(1, image.GetProperty("nframes").GetInt64()); // the folder's length (the dataset's folder is cut to one image here)

        // Annotations: every field the dataset's have that a prediction can have, with the same types; ids as the dataset numbers them.
        var gtAnn = gt.GetProperty("annotations")[0];
        var anns = mine.GetProperty("annotations").EnumerateArray().ToList();
        Assert.Equal(3, anns.Count);
        var gtAnnKinds = Kinds(gtAnn);
        foreach (var key in new[] { "id", "image_id", "track_id", "category_id", "bbox", "keypoints", "scores" })
        {
            Assert.True(anns[0].TryGetProperty(key, out var v), $"annotation has no {key}");
            Assert.Equal(gtAnnKinds[key], v.ValueKind);
        }
        Assert.Equal(gtAnn.GetProperty("id").GetInt64(), anns[0].GetProperty("id").GetInt64()); // 1003418000000
        Assert.Equal(gtAnn.GetProperty("image_id").GetInt64(), anns[0].GetProperty("image_id").GetInt64());
        Assert.Equal(gtAnn.GetProperty("keypoints").GetArrayLength(), anns[0].GetProperty("keypoints").GetArrayLength());
        Assert.Equal(17, anns[0].GetProperty("scores").GetArrayLength());
    }

    [Fact]
    public void CocoJoints_AreMovedToPoseTrack18Slots_AndTheHeadIsMadeByTheDocumentedRule()
    {
        var doc = Export(PoseTrackSequence.For("clip.mp4", null, 2), 1);
        var ann = doc.GetProperty("annotations")[0];
        var p = SyntheticFrames.Frame(3).Persons[0];
        var kps = ann.GetProperty("keypoints").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var scores = ann.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        // Same-named joints are copied (rounded as in the logs): nose, ears, shoulders … ankles.
        foreach (var j in new[] { 0, 3, 4, 5, 6, 9, 16 })
        {
            Assert.Equal(Math.Round(p.Keypoints[j].X, 2), kps[3 * j], 6);
            Assert.Equal(Math.Round(p.Keypoints[j].Y, 2), kps[3 * j + 1], 6);
            Assert.Equal(Math.Round(p.Keypoints[j].Score, 3), scores[j], 6);
        }
        // head_bottom below the nose towards the shoulders, head_top above it, by the stated fractions.
        double nx = Math.Round(p.Keypoints[0].X, 2), ny = Math.Round(p.Keypoints[0].Y, 2);
        double sy = (Math.Round(p.Keypoints[5].Y, 2) + Math.Round(p.Keypoints[6].Y, 2)) / 2;
        Assert.Equal(Math.Round(ny + PoseTrack18.HeadBottomFromNose * (sy - ny), 2), kps[4], 6);
        Assert.Equal(Math.Round(ny - PoseTrack18.HeadTopFromNose * (sy - ny), 2), kps[7], 6);
        Assert.True(kps[4] > ny && kps[7] < ny, "head_bottom under the nose, head_top over it");
        double least = new[] { 0, 5, 6 }.Min(j => Math.Round(p.Keypoints[j].Score, 3));
        Assert.Equal(least, scores[1], 6);
        Assert.Equal(least, scores[2], 6);
        Assert.Equal(nx, kps[0], 6);
    }

    [Fact]
    public void MissingJoints_AreUnannotated_AndMpiiNamesMap()
    {
        var sources = PoseTrack18.SourceJoints(Skeleton.Mpii16.JointNames);
        // MPII: upper_neck → head_bottom, head_top → head_top, l_/r_ → left_/right_; no nose or ears.
        Assert.Equal(Skeleton.Mpii16.JointNames.ToList().IndexOf("upper_neck"), sources[1]);
        Assert.Equal(Skeleton.Mpii16.JointNames.ToList().IndexOf("head_top"), sources[2]);
        Assert.Equal(Skeleton.Mpii16.JointNames.ToList().IndexOf("l_shoulder"), sources[5]);
        Assert.Equal(-1, sources[0]);
        var kps = Enumerable.Range(0, 16).Select(i => new double?[] { i, i, 0.5 }).ToArray();
        var (flat, scores) = PoseTrack18.Keypoints(sources, kps);
        Assert.Equal([0d, 0d, 0d], flat[..3].Select(v => v!.Value));   // nose: unannotated
        Assert.Equal(0d, scores[0]);
        Assert.Equal(8d, flat[3]);                                     // head_bottom from upper_neck (index 8)
    }

    [Fact]
    public void OtherInputs_AreVideoZero_NamedAfterTheInput()
    {
        var s = PoseTrackSequence.For("/videos/street scene.mp4", null, 100);
        Assert.Equal((0L, "000000", "street scene"), (s.VideoNumber, s.VideoId, s.Name));
        Assert.Equal((42L, "street scene/000042.jpg"), s.FrameOf(42));
        Assert.Equal(10_000_000_042L, PoseTrack18.ImageId(s.VideoNumber, 42));
        Assert.Equal(10_034_180_007L, PoseTrack18.ImageId(3418, 7));
    }
}
