using System.Text;
using System.Text.Json;
using PoseTrack.Core;
using PoseTrack.Evaluation;
using PoseTrack.Sinks;

namespace PoseTrack.Tests.Sinks;

/// <summary>
/// One person schema and one writer (<see cref="PoseJson"/>) behind the JSON lines log, <c>image --json</c>, PoseTrack18
/// and COCO results: the same numbers in all four, and non-finite numbers written safely.
/// </summary>
public sealed class PoseJsonTests
{
    private static Person WithNonFinite()
    {
        var p = SyntheticFrames.Person(10, 20, trackId: 3);
        p.Keypoints[0] = new Keypoint(float.NaN, float.PositiveInfinity, float.NegativeInfinity);
        return p with { Box = new BoxF(float.NaN, 1, 2, 3) };
    }

    private static JsonElement Serialize<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        using var stream = new MemoryStream();
        PoseJson.Write(stream, value, type);
        return JsonDocument.Parse(stream.ToArray()).RootElement.Clone();
    }

    [Fact]
    public void NonFiniteNumbers_AreNull_InEveryRoundedOutput_AndRefusedForCoco()
    {
        var p = WithNonFinite();
        var frame = Serialize(new FrameJson(0, JsonNumbers.Round(double.NaN, 3), [PoseJson.Person(p)]), PoseJsonContext.Default.FrameJson);
        Assert.Equal(JsonValueKind.Null, frame.GetProperty("time_ms").ValueKind);
        var person = frame.GetProperty("persons")[0];
        Assert.Equal(JsonValueKind.Null, person.GetProperty("box")[0].ValueKind);
        Assert.All(person.GetProperty("keypoints")[0].EnumerateArray(), e => Assert.Equal(JsonValueKind.Null, e.ValueKind));

        // image --json: the same person schema, its former writer threw on NaN.
        var image = Serialize(new ImagePosesJson("d", "p", "coco17", Skeleton.Coco17.JointNames,
            [new ImagePersonsJson("a.jpg", 8, 8, [PoseJson.Person(p, withBoxScore: true)])]), PoseJsonContext.Default.ImagePosesJson);
        var imagePerson = image.GetProperty("images")[0].GetProperty("persons")[0];
        Assert.Equal(JsonValueKind.Null, imagePerson.GetProperty("keypoints")[0][0].ValueKind);
        Assert.Equal(JsonValueKind.Null, imagePerson.GetProperty("box")[0].ValueKind);

        var annotation = Serialize<IEnumerable<PoseTrackAnnotationJson>>([PoseJson.PoseTrackAnnotation(700, 7, PoseJson.Person(p), PoseTrack18.SourceJoints(p.Skeleton.JointNames))],
            PoseJsonContext.Default.IEnumerablePoseTrackAnnotationJson)[0];
        for (int i = 0; i < 3; i++) Assert.Equal(JsonValueKind.Null, annotation.GetProperty("keypoints")[i].ValueKind);
        Assert.Equal(JsonValueKind.Null, annotation.GetProperty("scores")[0].ValueKind);
        Assert.Equal(JsonValueKind.Null, annotation.GetProperty("bbox")[0].ValueKind);

        // COCO tools cannot read null: a non-finite number is refused, naming the result.
        var coco = CocoKeypointResult.FromPerson(1, p);
        Assert.Contains("result 0", Assert.Throws<ArgumentException>(() => CocoResultsFile.ToJson([coco])).Message);
        Assert.Equal(0d, JsonNumbers.Round(-0.001, 2)); // no "-0"
        Assert.False(double.IsNegative(JsonNumbers.Round(-0.001, 2)!.Value));
    }

    [Fact]
    public void OneSchema_TheFourOutputsCarryTheSamePerson()
    {
        var p = SyntheticFrames.Person(33.3f, 44.4f, trackId: 5);
        var own = Serialize(new FrameJson(0, 0, [PoseJson.Person(p)]), PoseJsonContext.Default.FrameJson).GetProperty("persons")[0];
        Assert.Equal(["track_id", "box", "score", "keypoints"], own.EnumerateObject().Select(x => x.Name));

        // image --json: the same person, with the detector's box score.
        var image = Serialize(new ImagePosesJson("d", "p", "coco17", Skeleton.Coco17.JointNames,
            [new ImagePersonsJson("a.jpg", 8, 8, [PoseJson.Person(p, withBoxScore: true)])]), PoseJsonContext.Default.ImagePosesJson)
            .GetProperty("images")[0].GetProperty("persons")[0];
        Assert.Equal(["track_id", "box", "box_score", "score", "keypoints"], image.EnumerateObject().Select(x => x.Name));
        foreach (var name in new[] { "track_id", "box", "score", "keypoints" })
            Assert.Equal(own.GetProperty(name).GetRawText(), image.GetProperty(name).GetRawText());

        // PoseTrack18 and COCO: the flat layout of the same person; PoseTrack18 keeps the same rounded numbers.
        var pt = Serialize<IEnumerable<PoseTrackAnnotationJson>>([PoseJson.PoseTrackAnnotation(900, 9, PoseJson.Person(p), PoseTrack18.SourceJoints(p.Skeleton.JointNames))],
            PoseJsonContext.Default.IEnumerablePoseTrackAnnotationJson)[0];
        Assert.Equal(["id", "image_id", "track_id", "category_id", "bbox", "keypoints", "scores", "score"], pt.EnumerateObject().Select(x => x.Name));
        Assert.Equal(own.GetProperty("box").GetRawText(), pt.GetProperty("bbox").GetRawText());
        Assert.Equal(own.GetProperty("score").GetRawText(), pt.GetProperty("score").GetRawText());
        Assert.Equal(own.GetProperty("track_id").GetInt32(), pt.GetProperty("track_id").GetInt32());
        // PoseTrack18's order is COCO's with head_bottom/head_top (made by the head rule) where COCO has the eyes.
        static IEnumerable<T> NoEyes<T>(IEnumerable<T> perJoint, int width) => perJoint.Where((_, i) => i / width is not (1 or 2));
        var nested = own.GetProperty("keypoints").EnumerateArray().SelectMany(k => k.EnumerateArray()).Select(e => e.GetDouble());
        Assert.Equal(NoEyes(nested, 3), NoEyes(pt.GetProperty("keypoints").EnumerateArray().Select(e => e.GetDouble()), 3));
        Assert.Equal(NoEyes(own.GetProperty("keypoints").EnumerateArray().Select(k => k[2].GetDouble()), 1), NoEyes(pt.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble()), 1));

        var coco = JsonDocument.Parse(CocoResultsFile.ToJson([CocoKeypointResult.FromPerson(9, p)])).RootElement[0];
        Assert.Equal(["image_id", "category_id", "keypoints", "score"], coco.EnumerateObject().Select(x => x.Name));
        // Full precision there (the file evaluates as the results in memory): the same person within rounding.
        var flat = coco.GetProperty("keypoints").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(p.Keypoints[4].X, flat[12], 5);
        Assert.Equal(p.Keypoints[4].X, (float)flat[12]);
        Assert.Equal(p.Score, (float)coco.GetProperty("score").GetDouble());
    }

    [Fact]
    public void JsonLinesSink_WritesThroughTheSharedSchema()
    {
        var dir = TestData.TempDir();
        var path = Path.Combine(dir, "o.jsonl");
        var header = new JsonLinesHeader("in.mp4", 8, 8, 25, null, "d", null, Skeleton.Coco17, DateTimeOffset.UnixEpoch) { VideoSize = (6, 8) };
        var p = SyntheticFrames.Person(1, 2, trackId: 0);
        using (var sink = new JsonLinesSink(path, header))
        {
            sink.Write(new FrameResult(0, 40.00049, 8, 8, [p]), null);
            sink.Complete();
        }
        var lines = File.ReadAllLines(path, Encoding.UTF8);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("{\"type\":\"header\",\"version\":1,\"input\":\"in.mp4\",\"width\":8,\"height\":8,\"fps\":25,\"frame_count\":null,"
            + "\"video_width\":6,\"video_height\":8,\"models\":{\"detector\":\"d\",\"pose\":null},\"skeleton\":\"coco17\",\"keypoint_names\":[\"nose\",", lines[0]);
        Assert.EndsWith("\"created\":\"1970-01-01T00:00:00+00:00\"}", lines[0]);
        var expected = Serialize(new FrameJson(0, 40, [PoseJson.Person(p)]), PoseJsonContext.Default.FrameJson).GetRawText();
        Assert.Equal(expected, lines[1]);
        Assert.StartsWith("{\"frame\":0,\"time_ms\":40,\"persons\":[{\"track_id\":null,\"box\":[1,2,128.33,330.67],", lines[1]);
    }
}
