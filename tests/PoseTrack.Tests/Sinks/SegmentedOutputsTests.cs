using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Sinks;
using PoseTrack.Sources;

namespace PoseTrack.Tests.Sinks;

/// <summary><see cref="SegmentedOutputs"/> (<c>--segment</c>) with recording sinks: boundaries, names, gaps, refusals.</summary>
public sealed class SegmentedOutputsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 13, 45, 1, 700, TimeSpan.Zero);

    private sealed class Recorder(string path) : IFrameSink, IGapSink
    {
        public string Path { get; } = path;
        public List<long> Frames { get; } = [];
        public List<SourceGap> Gaps { get; } = [];
        public bool Completed { get; private set; }
        public bool Disposed { get; private set; }
        public bool NeedsImage => false;
        public void Write(FrameResult result, Mat? annotated)
        {
            Assert.False(Completed);
            Frames.Add(result.Index);
        }
        public void WriteGap(SourceGap gap) => Gaps.Add(gap);
        public void Complete() => Completed = true;
        public void Dispose() => Disposed = true;
    }

    private static (SegmentedOutputs Out, List<Recorder> Opened) Make(TimeSpan every, string path = "/tmp/seg/out.jsonl", params (string, string?)[] reserved)
    {
        var opened = new List<Recorder>();
        var s = new SegmentedOutputs(every, false, seg => [("--json", seg.PathFor(path))],
            seg => { var r = new Recorder(seg.PathFor(path)); opened.Add(r); return [r]; }, reserved) { Clock = () => T0 };
        return (s, opened);
    }

    private static FrameResult Frame(long i, double ms) => new(i, ms, 64, 48, []);

    [Fact]
    public void Frames_split_on_frame_time_into_closed_segments_named_by_their_utc_start()
    {
        var (s, opened) = Make(TimeSpan.FromSeconds(3));
        // 100 frames at 10 fps starting at time_ms 500: 30 + 30 + 30 + 10.
        for (int i = 0; i < 100; i++) s.Write(Frame(i, 500 + i * 100), null);
        s.Complete();
        Assert.Equal([30, 30, 30, 10], opened.Select(o => o.Frames.Count));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), opened.SelectMany(o => o.Frames));
        Assert.All(opened, o => Assert.True(o.Completed && o.Disposed));
        Assert.Equal(["out_20261203T134501Z.jsonl", "out_20261203T134504Z.jsonl", "out_20261203T134507Z.jsonl", "out_20261203T134510Z.jsonl"],
            opened.Select(o => Path.GetFileName(o.Path)));
        Assert.Equal([500.0, 3500, 6500, 9500], s.Segments.Select(g => g.StartMs));
        Assert.Equal([0, 1, 2, 3], s.Segments.Select(g => g.Index));
        Assert.Equal("/tmp/seg", Path.GetDirectoryName(opened[0].Path));
    }

    [Fact]
    public void A_segment_closes_before_the_next_opens_and_a_gap_goes_to_the_frame_after_it()
    {
        var (s, opened) = Make(TimeSpan.FromSeconds(1));
        s.Write(Frame(0, 0), null);
        s.Write(Frame(1, 900), null);
        var gap = new SourceGap(900, 4200, "the stream ended");
        s.WriteGap(gap);
        Assert.Empty(opened[0].Gaps);
        s.Write(Frame(2, 4200), null);   // segments 1-3 had no frame: none is opened, the next is index 4
        Assert.True(opened[0].Completed && opened[0].Disposed);
        Assert.Equal(2, opened.Count);
        Assert.Equal(4, s.Segments[^1].Index);
        Assert.Equal([gap], opened[1].Gaps);
        s.WriteGap(new SourceGap(4200, 4300, "stall"));
        s.Complete();
        Assert.Single(opened[1].Gaps.Skip(1));   // a gap with no frame after it still lands in the open segment
        Assert.Throws<InvalidOperationException>(() => s.Write(Frame(3, 5000), null));
    }

    [Fact]
    public void A_segment_that_would_be_an_input_or_another_output_is_refused_before_it_is_opened()
    {
        var dir = TestData.TempDir();
        var input = Path.Combine(dir, "out_20261203T134501Z.jsonl");
        File.WriteAllText(input, "keep");
        var link = Path.Combine(dir, "in.jsonl");
        File.CreateSymbolicLink(link, input);
        var (s, opened) = Make(TimeSpan.FromSeconds(10), Path.Combine(dir, "out.jsonl"), ("--input", link));
        var e = Assert.Throws<PoseTrackException>(() => s.Write(Frame(0, 0), null));
        Assert.Contains("refusing to overwrite", e.Message);
        Assert.Contains("--input", e.Message);
        Assert.Empty(opened);
        Assert.Equal("keep", File.ReadAllText(input));
    }

    [Fact]
    public void A_segment_file_another_writer_holds_is_refused_and_left_alone()
    {
        var dir = TestData.TempDir();
        var header = new JsonLinesHeader("v.mp4", 8, 8, 10, null, null, null, Skeleton.Coco17, T0);
        var taken = Path.Combine(dir, "out_20261203T134501Z.jsonl");
        using var other = new JsonLinesSink(taken, header);   // another run writing that name (the lock is per open file)
        other.Write(Frame(7, 0), null);
        var s = new SegmentedOutputs(TimeSpan.FromSeconds(5), false, seg => [("--json", seg.PathFor(Path.Combine(dir, "out.jsonl")))],
            seg => [new JsonLinesSink(seg.PathFor(Path.Combine(dir, "out.jsonl")), header)], []) { Clock = () => T0 };
        var e = Assert.Throws<PoseTrackException>(() => s.Write(Frame(0, 0), null));
        Assert.Contains("being written by another process", e.Message);
        other.Complete();
        Assert.Equal([7L], JsonLinesReader.ReadAll(taken).Frames.Select(f => f.Frame));
        s.Dispose();
    }

    [Fact]
    public void Complete_without_frames_opens_nothing()
    {
        var (s, opened) = Make(TimeSpan.FromMinutes(10));
        s.Complete();
        s.Dispose();
        Assert.Empty(opened);
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("10m", 600)]
    [InlineData("1h", 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("1.5m", 90)]
    [InlineData("45", 45)]
    [InlineData("2M", 120)]
    public void Durations_parse(string text, double seconds) => Assert.Equal(TimeSpan.FromSeconds(seconds), SegmentedOutputs.ParseDuration(text));

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("0.5s")]
    [InlineData("0")]
    [InlineData("-3s")]
    [InlineData("1h30")]
    [InlineData("10d")]
    [InlineData("8000h")]
    public void Bad_durations_are_one_clear_error(string text)
    {
        var e = Assert.Throws<PoseTrackException>(() => SegmentedOutputs.ParseDuration(text));
        Assert.StartsWith("--segment must be", e.Message);
    }

    [Fact]
    public void A_segment_header_round_trips_through_the_sink_and_reader()
    {
        var path = Path.Combine(TestData.TempDir(), "o_20261203T134501Z.jsonl");
        var segment = new JsonLinesSegment(3, 9000.5, T0, 3000);
        var header = new JsonLinesHeader("rtsp://cam/live", 768, 576, 10, null, "d", "p", Skeleton.Coco17, T0) { Segment = segment };
        using (var sink = new JsonLinesSink(path, header))
        {
            sink.Write(Frame(90, 9000.5), null);
            sink.Complete();
        }
        var back = JsonLinesReader.ReadAll(path);
        Assert.Equal(segment, back.Header.Segment);
        Assert.Single(back.Frames);
        Assert.Null(JsonLinesReader.ReadAll(WriteWithout(path)).Header.Segment);

        static string WriteWithout(string path)
        {
            var other = path + ".whole.jsonl";
            using var sink = new JsonLinesSink(other, new JsonLinesHeader("v.mp4", 8, 8, 10, 1, null, null, Skeleton.Coco17, T0));
            sink.Complete();
            return other;
        }
    }

    [Fact]
    public void Names_keep_the_folder_and_extension()
    {
        Assert.Equal(Path.Combine("runs", "cam1_20261203T000000Z.mkv"), SegmentedOutputs.NameFor(Path.Combine("runs", "cam1.mkv"), new DateTimeOffset(2026, 12, 3, 1, 0, 0, TimeSpan.FromHours(1))));
        Assert.Equal("o_20261203T134501Z.mp4", SegmentedOutputs.NameFor("o.mp4", T0));
    }
}
