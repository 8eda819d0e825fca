using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Detection;
using PoseTrack.Pipeline;
using PoseTrack.Pose;
using PoseTrack.Sinks;
using PoseTrack.Sources;
using PoseTrack.Tracking;

namespace PoseTrack.Tests.Pipeline;

/// <summary>
/// The open pipeline on fake stages (no model files): results yielded in order, a consumer that stops early stops the
/// run, a stage's fault reaches the loop after the frames before it, a slow consumer holds the source back, and the
/// user program of the README (own detector, 20 lines) builds and runs.
/// </summary>
public sealed class OpenPipelineTests
{
    /// <summary>Frames whose pixel (0,0) holds the frame number, so the fakes can tell which frame they see.</summary>
    private sealed class NumberedFrames(int count) : IFrameSource
    {
        public int FramesRead { get; private set; }
        public SourceInfo Info { get; } = new("numbered", 64, 48, 25, count, IsLive: false);
        public bool Read(Mat frame, out double timeMs)
        {
            timeMs = FramesRead * 40.0;
            if (FramesRead >= count) return false;
            frame.Create(48, 64, MatType.CV_8UC3);
            frame.SetTo(Scalar.All(0));
            frame.Set(0, 0, new Vec3b((byte)FramesRead, 0, 0));
            FramesRead++;
            return true;
        }
        public void Dispose() { }
    }

    /// <summary>One person box per frame, moving right by 2 px a frame; throws on <paramref name="failAt"/>.</summary>
    private sealed class FakeDetector(int failAt = -1) : IPersonDetector
    {
        public string Name => "fake-detector";
        public IReadOnlyList<PersonDetection> Detect(Mat bgrImage)
        {
            int n = bgrImage.At<Vec3b>(0, 0).Item0;
            if (n == failAt) throw new InvalidOperationException($"detector broke on frame {n}");
            return [new PersonDetection(new BoxF(10 + 2 * n, 5, 20, 40), 0.9f)];
        }
        public void Dispose() { }
    }

    /// <summary>A COCO-17 pose spread over the box, every joint confident.</summary>
    private sealed class FakePoseModel : IPoseModel
    {
        public string Name => "fake-pose";
        public Skeleton Skeleton => Skeleton.Coco17;
        public IReadOnlyList<Person> Estimate(Mat bgrImage, IReadOnlyList<PersonDetection> boxes) =>
            boxes.Select(b => new Person(b.Box, b.Score,
                Enumerable.Range(0, 17).Select(k => new Keypoint(b.Box.X + b.Box.Width * (k % 3) / 2f, b.Box.Y + b.Box.Height * k / 16f, 0.9f)).ToArray(),
                Skeleton.Coco17)).ToList();
        public void Dispose() { }
    }

    private static PosePipeline Pipeline(IPersonDetector detector, int detectEvery = 1) =>
        new(detector, new FakePoseModel(), new OksTracker(new TrackerOptions { Smooth = false }), new PipelineOptions { DetectEvery = detectEvery });

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Results_come_in_frame_order_with_one_stable_track(int detectEvery)
    {
        var source = new NumberedFrames(30);
        var results = new List<FrameResult>();
        await foreach (var r in Pipeline(new FakeDetector(), detectEvery).RunAsync(source)) results.Add(r);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)i), results.Select(r => r.Index));
        Assert.All(results, r => Assert.Single(r.Persons));
        if (detectEvery == 1) Assert.All(results, r => Assert.Equal(1, r.Persons[0].TrackId));
        else
        {
            // Between detections the box is the one around the person's previous pose (PoseBox: enlarged 1.25x).
            var expected = PoseBox.FromKeypoints(results[0].Persons[0].Keypoints, new TrackerOptions().KeypointScoreThreshold)!.Value;
            Assert.Equal(expected.X, results[1].Persons[0].Box.X, 0.01f);
            Assert.Equal(expected.Width, results[1].Persons[0].Box.Width, 0.01f);
            Assert.Equal(10f + 2 * 3, results[3].Persons[0].Box.X, 0.01f);   // frame 3 is detected again
            Assert.Equal(1, results[2].Persons[0].TrackId);
        }
    }

    [Fact]
    public async Task Breaking_out_of_the_loop_stops_the_run_and_the_source()
    {
        var source = new NumberedFrames(10_000);
        int taken = 0;
        await foreach (var r in Pipeline(new FakeDetector()).RunAsync(source))
            if (++taken == 5) break;
        int readAtBreak = source.FramesRead;
        await Task.Delay(200);
        Assert.Equal(readAtBreak, source.FramesRead);   // nothing reads on after the loop ended
        Assert.InRange(readAtBreak, 5, 5 + 6 * 5);  // at most the channels' worth ahead
    }

    [Fact]
    public async Task Cancellation_ends_the_loop_with_an_OperationCanceledException()
    {
        using var cts = new CancellationTokenSource();
        int taken = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var r in Pipeline(new FakeDetector()).RunAsync(new NumberedFrames(10_000), cts.Token))
                if (++taken == 3) cts.Cancel();
        });
        Assert.InRange(taken, 3, 3 + 6 * 5);
    }

    [Fact]
    public async Task A_stage_fault_is_thrown_after_the_frames_before_it()
    {
        var seen = new List<long>();
        var e = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var r in Pipeline(new FakeDetector(failAt: 7)).RunAsync(new NumberedFrames(50))) seen.Add(r.Index);
        });
        Assert.Contains("detector broke on frame 7", e.Message);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (long)i), seen);
    }

    [Fact]
    public async Task A_slow_consumer_holds_the_source_back()
    {
        var source = new NumberedFrames(200);
        int taken = 0;
        await foreach (var r in Pipeline(new FakeDetector()).RunAsync(source))
        {
            taken++;
            await Task.Delay(5);
            // Bounded channels: the source is never more than the pipeline's capacity ahead of the consumer.
            Assert.InRange(source.FramesRead - taken, 0, 6 * (new PipelineOptions().ChannelCapacity + 1) + 2);
        }
        Assert.Equal(200, taken);
    }

    /// <summary>Records what the pipeline hands a sink; throws on <paramref name="failAt"/> to play a full disk.</summary>
    private sealed class RecordingSink(bool needsImage, long failAt = -1) : IFrameSink, ISummarySink
    {
        public List<FrameResult> Frames { get; } = [];
        public List<int> ImageSizes { get; } = [];
        public RunTotals? Totals { get; private set; }
        public bool Completed { get; private set; }
        public bool NeedsImage => needsImage;
        public void Write(FrameResult result, Mat? annotated)
        {
            if (result.Index == failAt) throw new IOException($"sink full at frame {failAt}");
            Frames.Add(result);
            if (annotated is not null) ImageSizes.Add(annotated.Cols);
        }
        public void WriteSummary(RunTotals totals) => Totals = totals;
        public void Complete() => Completed = true;
        public void Dispose() { }
    }

    [Fact]
    public async Task Sinks_consume_the_same_frames_the_loop_yields()
    {
        var yielded = new List<FrameResult>();
        await foreach (var r in Pipeline(new FakeDetector(), 2).RunAsync(new NumberedFrames(25))) yielded.Add(r);
        var drawing = new RecordingSink(needsImage: true);
        var plain = new RecordingSink(needsImage: false);
        var summary = await Pipeline(new FakeDetector(), 2).RunAsync(new NumberedFrames(25), [drawing, plain]);

        Assert.Equal(25, summary.Frames);
        foreach (var sink in new[] { drawing, plain })
        {
            Assert.Equal(yielded.Select(r => r.Index), sink.Frames.Select(r => r.Index));
            for (int i = 0; i < yielded.Count; i++)
            {
                Assert.Equal(yielded[i].Persons.Select(p => p.TrackId), sink.Frames[i].Persons.Select(p => p.TrackId));
                Assert.Equal(yielded[i].Persons.Select(p => p.Box), sink.Frames[i].Persons.Select(p => p.Box));
            }
            Assert.True(sink.Completed);
            Assert.Equal(25, sink.Totals?.Frames);
            Assert.False(sink.Totals?.Stopped);
        }
        Assert.Equal(Enumerable.Repeat(64, 25), drawing.ImageSizes);   // the picture only for the sink that wants it
        Assert.Empty(plain.ImageSizes);
    }

    [Fact]
    public async Task A_sink_fault_stops_the_source_completes_every_sink_and_writes_no_summary()
    {
        var source = new NumberedFrames(10_000);
        var failing = new RecordingSink(needsImage: false, failAt: 12);
        var other = new RecordingSink(needsImage: false);
        var e = await Assert.ThrowsAsync<PipelineException>(() => Pipeline(new FakeDetector()).RunAsync(source, [other, failing]));
        Assert.Contains("sink full at frame 12", e.Message);
        Assert.Equal(Enumerable.Range(0, 13).Select(i => (long)i), other.Frames.Select(r => r.Index));
        Assert.True(failing.Completed && other.Completed);   // a half-written output is still finalised
        Assert.Null(other.Totals);                           // a failed run has no closing summary
        int readAfterFault = source.FramesRead;
        await Task.Delay(200);
        Assert.Equal(readAfterFault, source.FramesRead);     // the source stopped with the run
        Assert.InRange(readAfterFault, 13, 13 + 6 * 5);
    }

    [Fact]
    public async Task A_stop_drains_the_frames_in_flight_and_marks_the_summary_stopped()
    {
        using var stop = new CancellationTokenSource();
        var sink = new RecordingSink(needsImage: false);
        var progress = new SynchronousProgress<PipelineProgress>(p => { if (p.FramesDone == 20) stop.Cancel(); });
        var summary = await Pipeline(new FakeDetector()).RunAsync(new NumberedFrames(10_000), [sink], progress, stop.Token);
        Assert.True(summary.Stopped);
        Assert.True(sink.Totals?.Stopped);
        Assert.InRange(summary.Frames, 20, 20 + 6 * 5);
        Assert.Equal(Enumerable.Range(0, (int)summary.Frames).Select(i => (long)i), sink.Frames.Select(r => r.Index));   // no frame lost in the drain
    }

    [Fact]
    public void The_users_own_detector_program_runs_on_the_sample_video()
    {
        var dll = Path.Combine(TestData.RepoRoot, "samples", "OwnDetector", "bin", "Release", "net10.0", "OwnDetector.dll");
        Assert.True(File.Exists(dll), $"{dll} is built with the solution");
        var r = CliProcess.RunProgram("dotnet", [dll, Path.Combine(TestData.RepoRoot, "samples", "data", "vtest_10s.mp4")], TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(100, lines.Length);
        Assert.Equal("frame 0:", lines[0][..8]);
        Assert.True(lines.Count(l => l.Contains('#')) > 50, r.Stdout);   // people found and tracked in most frames
        Assert.Equal(0, new FileInfo(Path.Combine(TestData.RepoRoot, "samples", "OwnDetector", "Program.cs")).Length / 4000);  // short: under 4 kB
    }
}
