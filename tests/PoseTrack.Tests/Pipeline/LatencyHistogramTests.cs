using PoseTrack.Pipeline;

namespace PoseTrack.Tests.Pipeline;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Percentiles_are_the_nearest_rank_in_whole_milliseconds()
    {
        var h = new LatencyHistogram();
        Assert.Null(h.Percentile(0.5));
        for (int ms = 1; ms <= 100; ms++) h.Add(TimeSpan.FromMilliseconds(ms - 0.5));
        Assert.Equal(50, h.Percentile(0.50)!.Value.TotalMilliseconds);
        Assert.Equal(95, h.Percentile(0.95)!.Value.TotalMilliseconds);
        h.Add(TimeSpan.FromHours(1));   // beyond the last bucket: counted as 60 s
        Assert.Equal(60_000, h.Percentile(1)!.Value.TotalMilliseconds);
    }
}
