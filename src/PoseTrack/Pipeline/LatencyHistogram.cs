namespace PoseTrack.Pipeline;

/// <summary>
/// Latencies in 1 ms buckets up to 60 s (longer ones count as 60 s): percentiles of a run of any length in a fixed
/// 240 KB, exact to the millisecond.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int Buckets = 60_000;
    private readonly int[] _counts = new int[Buckets + 1];
    private long _total;

    public void Add(TimeSpan latency)
    {
        var ms = latency.TotalMilliseconds;
        int bucket = ms <= 0 ? 0 : ms >= Buckets ? Buckets : (int)Math.Ceiling(ms);
        _counts[bucket]++;
        _total++;
    }

    /// <summary>The smallest whole number of milliseconds that at least <paramref name="q"/> of the samples do not exceed; null when empty.</summary>
    public TimeSpan? Percentile(double q)
    {
        if (_total == 0) return null;
        long need = Math.Max(1, (long)Math.Ceiling(q * _total)), seen = 0;
        for (int i = 0; i <= Buckets; i++)
        {
            seen += _counts[i];
            if (seen >= need) return TimeSpan.FromMilliseconds(i);
        }
        return TimeSpan.FromMilliseconds(Buckets);
    }
}
