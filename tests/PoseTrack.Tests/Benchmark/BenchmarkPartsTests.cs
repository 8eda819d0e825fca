using OpenCvSharp;
using PoseTrack.Benchmark;
using PoseTrack.Sources;

namespace PoseTrack.Tests.Benchmark;

/// <summary>The benchmark's small parts: statistics and the looping source.</summary>
public sealed class BenchmarkPartsTests
{
    [Fact]
    public void TimingStats_MedianAndNearestRankP90()
    {
        var s = TimingStats.Of([5, 1, 4, 2, 3, 6, 7, 8, 9, 10]);
        Assert.Equal(5.5, s.MedianMs);
        Assert.Equal(9, s.P90Ms);
        Assert.Equal(10, s.Samples);
        Assert.Equal(3, TimingStats.Of([3]).P90Ms);
        Assert.Throws<ArgumentException>(() => TimingStats.Of([]));
    }

    [Fact]
    public void LoopingSource_StartsAgainAtTheEnd_WithRisingTimestamps()
    {
        int opened = 0;
        using var source = new LoopingFrameSource(() => { opened++; return new FakeSource(3); }, frameCount: 7);
        Assert.Equal(7, source.Info.FrameCount);
        var times = new List<double>();
        using var frame = new Mat();
        for (int i = 0; i < 7; i++)
        {
            Assert.True(source.Read(frame, out var t));
            times.Add(t);
        }
        Assert.Equal([0, 100, 200, 300, 400, 500, 600], times);
        Assert.Equal(3, opened);
        Assert.Equal(2, source.Passes);
    }

    [Fact]
    public void LoopingSource_OverAnEmptyInput_Ends()
    {
        using var source = new LoopingFrameSource(() => new FakeSource(0), frameCount: 5);
        using var frame = new Mat();
        Assert.False(source.Read(frame, out _));
    }

    private sealed class FakeSource(int frames) : IFrameSource
    {
        private int _next;
        public SourceInfo Info { get; } = new("fake", 8, 8, 10, frames, IsLive: false);

        public bool Read(Mat frame, out double timeMs)
        {
            timeMs = _next * 100.0;
            if (_next >= frames) return false;
            _next++;
            frame.Create(8, 8, MatType.CV_8UC3);
            return true;
        }

        public void Dispose() { }
    }
}
