using System.Text;
using System.Text.Json;
using PoseTrack.Core;
using PoseTrack.Sinks;

namespace PoseTrack.Tests.Sinks;

public sealed class JsonLinesSinkTests
{
    private static JsonLinesHeader Header(long? frameCount = 50) => new(
        "/data/vtest_10s.mp4", 768, 576, 10, frameCount, "rtmdet_nano_person_320", "ultralight_nano_simplepose_256x192",
        Skeleton.Coco17, new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero));

    private static float R(float v, int d) => (float)Math.Round((double)v, d, MidpointRounding.AwayFromZero);

    [Fact]
    public void Summary_IsTheLastLine_AndReadBackOptionally()
    {
        var dir = TestData.TempDir();
        var path = Path.Combine(dir, "out.jsonl");
        using (var sink = new JsonLinesSink(path, Header()))
        {
            for (int i = 0; i < 3; i++) sink.Write(SyntheticFrames.Frame(i), null);
            sink.WriteSummary(new RunTotals(3, 1.23456, 2, 4, Stopped: true));
            sink.Complete();
        }
        var last = File.ReadLines(path).Last();
        Assert.Equal("{\"type\":\"summary\",\"frames\":3,\"seconds\":1.235,\"fps\":2.43,\"dropped\":2,\"tracks\":4,\"stopped\":true}", last);
        var content = JsonLinesReader.ReadAll(path);
        Assert.Equal(3, content.Frames.Count);
        Assert.Equal(new RunTotals(3, 1.235, 2, 4, true) { Fps = 2.43 }, content.Summary);

        // Without one (a killed run) the log reads the same, with no summary.
        var killed = Path.Combine(dir, "killed.jsonl");
        File.WriteAllLines(killed, File.ReadLines(path).SkipLast(1));
        var partial = JsonLinesReader.ReadAll(killed);
        Assert.Null(partial.Summary);
        Assert.Equal(content.Frames.Select(f => f.Frame), partial.Frames.Select(f => f.Frame));
    }

    [Fact]
    public void FiftyFrames_RoundTrip()
    {
        var path = Path.Combine(TestData.TempDir(), "out.jsonl");
        var frames = Enumerable.Range(0, 50).Select(SyntheticFrames.Frame).ToList();
        using (var sink = new JsonLinesSink(path, Header()))
        {
            Assert.False(sink.NeedsImage);
            foreach (var f in frames) sink.Write(f, null);
            sink.Complete();
            sink.Complete();
        }

        var lines = File.ReadAllLines(path);
        Assert.Equal(51, lines.Length);
        Assert.EndsWith("\n", File.ReadAllText(path));
        for (int i = 0; i < lines.Length; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            bool isHeader = doc.RootElement.TryGetProperty("type", out var t);
            Assert.Equal(i == 0, isHeader);
            if (isHeader)
            {
                Assert.Equal("header", t.GetString());
                var r = doc.RootElement;
                Assert.Equal(1, r.GetProperty("version").GetInt32());
                Assert.Equal(17, r.GetProperty("keypoint_names").GetArrayLength());
                Assert.Equal(Skeleton.Coco17.Limbs.Count, r.GetProperty("limbs").GetArrayLength());
                Assert.Equal("rtmdet_nano_person_320", r.GetProperty("models").GetProperty("detector").GetString());
                Assert.StartsWith("2025-03-04T05:06:07", r.GetProperty("created").GetString());
            }
        }
        // Rounded on disk: no long float tails.
        // (coordinates keep 2 decimals, scores and times 3: no number on a frame line has 4 or more)
        Assert.All(lines.Skip(1), l => Assert.DoesNotMatch(@"\d\.\d{4,}", l));
        Assert.Contains("\"track_id\":null", string.Join("\n", lines));

        var content = JsonLinesReader.ReadAll(path);
        Assert.False(content.PartialLastLine);
        Assert.Equal(Header(), content.Header);
        Assert.Equal(50, content.Frames.Count);
        for (int i = 0; i < 50; i++)
        {
            var exp = frames[i];
            var got = content.Frames[i];
            Assert.Equal(exp.Index, got.Frame);
            Assert.Equal(Math.Round(exp.TimeMs, 3), got.TimeMs);
            Assert.Equal(exp.Persons.Count, got.Persons.Count);
            for (int k = 0; k < exp.Persons.Count; k++)
            {
                var e = exp.Persons[k];
                var g = got.Persons[k];
                Assert.Equal(e.TrackId == 0 ? null : e.TrackId, g.TrackId);
                Assert.Equal(new BoxF(R(e.Box.X, 2), R(e.Box.Y, 2), R(e.Box.Width, 2), R(e.Box.Height, 2)), g.Box);
                Assert.Equal(R(e.Score, 3), g.Score);
                Assert.Equal(17, g.Keypoints.Length);
                for (int j = 0; j < 17; j++)
                    Assert.Equal(new Keypoint(R(e.Keypoints[j].X, 2), R(e.Keypoints[j].Y, 2), R(e.Keypoints[j].Score, 3)), g.Keypoints[j]);
            }
        }
    }

    [Fact]
    public void NonFiniteNumbers_AreNull_AndReadBackAsNaN()
    {
        var path = Path.Combine(TestData.TempDir(), "nan.jsonl");
        var p = SyntheticFrames.Person(10, 10, 1);
        p.Keypoints[0] = new Keypoint(float.NaN, float.PositiveInfinity, 0.5f);
        using (var sink = new JsonLinesSink(path, Header(null) with { DetectorModel = null }))
        {
            sink.Write(new FrameResult(0, 0, 768, 576, [p]), null);
            sink.Complete();
        }
        var content = JsonLinesReader.ReadAll(path);
        Assert.Null(content.Header.FrameCount);
        Assert.Null(content.Header.DetectorModel);
        Assert.True(float.IsNaN(content.Frames[0].Persons[0].Keypoints[0].X));
        Assert.True(float.IsNaN(content.Frames[0].Persons[0].Keypoints[0].Y));
    }

    [Fact]
    public void KilledWriter_LeavesCompleteLines_ReaderSkipsThePartialOne()
    {
        var dir = TestData.TempDir();
        var path = Path.Combine(dir, "live.jsonl");
        using var sink = new JsonLinesSink(path, Header());
        for (int i = 0; i < 20; i++) sink.Write(SyntheticFrames.Frame(i), null);

        // The writer is still open: what is on disk now is what a SIGKILL would leave.
        var snapshot = Path.Combine(dir, "snapshot.jsonl");
        File.Copy(path, snapshot);
        var bytes = File.ReadAllBytes(snapshot);
        Assert.Equal((byte)'\n', bytes[^1]);
        var live = JsonLinesReader.ReadAll(snapshot);
        Assert.Equal(20, live.Frames.Count);
        Assert.False(live.PartialLastLine);

        // Cut the copy in the middle of the last line, as if killed mid-write.
        int lastLineStart = Array.LastIndexOf(bytes, (byte)'\n', bytes.Length - 2) + 1;
        var cut = Path.Combine(dir, "cut.jsonl");
        File.WriteAllBytes(cut, bytes[..(lastLineStart + (bytes.Length - lastLineStart) / 2)]);
        var partial = JsonLinesReader.ReadAll(cut);
        Assert.True(partial.PartialLastLine);
        Assert.Equal(19, partial.Frames.Count);
        Assert.Equal(Enumerable.Range(0, 19).Select(i => (long)i), partial.Frames.Select(f => f.Frame));

        // Cut just before the final '\n': the JSON is whole, so the frame counts.
        File.WriteAllBytes(cut, bytes[..^1]);
        var whole = JsonLinesReader.ReadAll(cut);
        Assert.False(whole.PartialLastLine);
        Assert.Equal(20, whole.Frames.Count);

        // Streaming read of a file that is still being written.
        using var reader = JsonLinesReader.Open(path);
        int n = 0;
        while (reader.TryReadFrame(out _)) n++;
        Assert.Equal(20, n);
        Assert.False(reader.SkippedPartialLine);
    }

    [Fact]
    public void CorruptMiddleLine_IsAnError_HeaderlessFileToo()
    {
        var dir = TestData.TempDir();
        var path = Path.Combine(dir, "a.jsonl");
        using (var sink = new JsonLinesSink(path, Header()))
        {
            for (int i = 0; i < 3; i++) sink.Write(SyntheticFrames.Frame(i), null);
        }
        var lines = File.ReadAllLines(path);
        lines[2] = lines[2][..10];
        File.WriteAllLines(path, lines);
        var e = Assert.Throws<PoseTrackException>(() => JsonLinesReader.ReadAll(path));
        Assert.Contains("line 3", e.Message);

        var empty = Path.Combine(dir, "empty.jsonl");
        File.WriteAllText(empty, "");
        Assert.Throws<PoseTrackException>(() => JsonLinesReader.ReadAll(empty));
        File.WriteAllText(empty, "{\"frame\":0,\"time_ms\":0,\"persons\":[]}\n");
        Assert.Contains("header", Assert.Throws<PoseTrackException>(() => JsonLinesReader.ReadAll(empty)).Message);
        Assert.Throws<PoseTrackException>(() => JsonLinesReader.ReadAll(Path.Combine(dir, "missing.jsonl")));
    }

    [Fact]
    public void UnwritablePaths_ThrowPoseTrackException_NamingThePath()
    {
        var dir = TestData.TempDir();
        var missingFolder = Path.Combine(dir, "no", "such", "out.jsonl");
        Assert.Contains(missingFolder, Assert.Throws<PoseTrackException>(() => new JsonLinesSink(missingFolder, Header())).Message);
        Assert.Contains(dir, Assert.Throws<PoseTrackException>(() => new JsonLinesSink(dir, Header())).Message);
        // A regular file used as a folder: no user (root included) can create it.
        var file = Path.Combine(dir, "plain.txt");
        File.WriteAllText(file, "x");
        var under = Path.Combine(file, "out.jsonl");
        Assert.Contains(under, Assert.Throws<PoseTrackException>(() => new JsonLinesSink(under, Header())).Message);
    }

    [Fact]
    public void LongLines_AreReadWhole()
    {
        // More persons than fit the reader's 64 KiB buffer in one line.
        var path = Path.Combine(TestData.TempDir(), "long.jsonl");
        var persons = Enumerable.Range(0, 300).Select(i => SyntheticFrames.Person(i, i, i + 1)).ToList();
        using (var sink = new JsonLinesSink(path, Header()))
        {
            sink.Write(new FrameResult(0, 0, 768, 576, persons), null);
            sink.Write(new FrameResult(1, 100, 768, 576, persons), null);
            sink.Complete();
        }
        Assert.True(new FileInfo(path).Length > 128 * 1024);
        var content = JsonLinesReader.ReadAll(path);
        Assert.Equal(2, content.Frames.Count);
        Assert.Equal(300, content.Frames[1].Persons.Count);
        Assert.Equal(Encoding.UTF8.GetByteCount(File.ReadAllText(path)), new FileInfo(path).Length);
    }
    [Fact]
    public void Gap_record_is_written_between_frames_and_skipped_by_the_readers()
    {
        var path = Path.Combine(TestData.TempDir(), "gap.jsonl");
        using (var sink = new JsonLinesSink(path, Header(null)))
        {
            sink.Write(SyntheticFrames.Frame(0), null);
            sink.WriteGap(new PoseTrack.Sources.SourceGap(0, 4321.5, "ffmpeg: rtsp://u:pw@cam/live: Connection refused"));
            sink.Write(SyntheticFrames.Frame(1), null);
            sink.Complete();
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal(4, lines.Length);
        Assert.Equal("""{"type":"gap","from_ms":0,"to_ms":4321.5,"reason":"ffmpeg: rtsp://u:***@cam/live: Connection refused"}""", lines[2]);

        using (var reader = JsonLinesReader.Open(path))
        {
            Assert.True(reader.TryReadFrame(out var a));
            Assert.True(reader.TryReadFrame(out var b));
            Assert.False(reader.TryReadFrame(out _));
            Assert.Equal((0L, 1L), (a.Frame, b.Frame));
            var gap = Assert.Single(reader.Gaps);
            Assert.Equal(4321.5, gap.ToMs);
        }
        // The report reads it as two frames, no bad line.
        var log = PoseTrack.Reporting.RunLog.Load(path);
        Assert.Equal(2, log.Frames.Count);
        Assert.Equal(0, log.BadLines);
    }
}
