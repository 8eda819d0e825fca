namespace PoseTrack.Benchmark;

/// <summary>Median and 90th percentile of a set of timings, in milliseconds.</summary>
/// <param name="MedianMs">Median.</param>
/// <param name="P90Ms">90th percentile (nearest rank).</param>
/// <param name="Samples">Number of timings.</param>
public sealed record TimingStats(double MedianMs, double P90Ms, int Samples)
{
    /// <summary>Summarises <paramref name="ms"/> (need not be sorted; not modified).</summary>
    public static TimingStats Of(IReadOnlyCollection<double> ms)
    {
        if (ms.Count == 0) throw new ArgumentException("no timings", nameof(ms));
        var s = ms.Order().ToArray();
        int n = s.Length;
        double median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        double p90 = s[Math.Clamp((int)Math.Ceiling(0.9 * n) - 1, 0, n - 1)];
        return new TimingStats(median, p90, n);
    }
}
