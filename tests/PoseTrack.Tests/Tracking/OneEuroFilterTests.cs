using PoseTrack.Core;
using PoseTrack.Tracking;

namespace PoseTrack.Tests.Tracking;

public class OneEuroFilterTests
{
    private static readonly TrackerOptions Defaults = new();

    private static OneEuroFilter NewFilter() => new(Defaults.MinCutoff, Defaults.Beta, Defaults.DCutoff);

    /// <summary>Seeded standard normal noise (Box–Muller).</summary>
    private static Func<double> Gaussian(int seed)
    {
        var rng = new Random(seed);
        return () => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
    }

    private static double Variance(IReadOnlyList<double> v)
    {
        double mean = v.Average();
        return v.Sum(x => (x - mean) * (x - mean)) / v.Count;
    }

    private static List<double> Differences(IReadOnlyList<double> v) => v.Zip(v.Skip(1), (a, b) => b - a).ToList();

    [Theory]
    [InlineData(1.0)]
    [InlineData(3.0)]
    [InlineData(6.0)]
    public void Jitter_of_a_still_point_is_at_least_halved(double sigma)
    {
        var noise = Gaussian(7);
        var filter = NewFilter();
        var raw = new List<double>(); var smooth = new List<double>();
        for (int i = 0; i < 600; i++)
        {
            double x = 320 + sigma * noise();
            raw.Add(x);
            smooth.Add(filter.Filter(x, i / 30.0));
        }
        raw = raw.Skip(30).ToList(); smooth = smooth.Skip(30).ToList(); // past the first second
        Assert.True(Variance(Differences(smooth)) <= 0.5 * Variance(Differences(raw)), "frame-to-frame variance not halved");
        Assert.True(Variance(smooth) <= 0.5 * Variance(raw), "variance not halved");
    }

    /// <summary>The time shift (in frames) of the clean line that best fits the filtered signal.</summary>
    private static double LagInFrames(double speedPxPerS, double fps, double sigma, int seed)
    {
        var noise = Gaussian(seed);
        var filter = NewFilter();
        int n = (int)(10 * fps);
        var filtered = new double[n];
        for (int i = 0; i < n; i++)
        {
            double t = i / fps;
            filtered[i] = filter.Filter(speedPxPerS * t + sigma * noise(), t);
        }
        double bestShift = double.NaN, bestError = double.MaxValue;
        for (double shift = -5; shift <= 10; shift += 0.05)
        {
            double error = 0;
            for (int i = (int)fps; i < n; i++) // skip the first second (start-up)
            {
                double clean = speedPxPerS * (i - shift) / fps;
                error += (filtered[i] - clean) * (filtered[i] - clean);
            }
            if (error < bestError) { bestError = error; bestShift = shift; }
        }
        return bestShift;
    }

    [Theory]
    [InlineData(60.0)]  // 2 px per frame at 30 fps
    [InlineData(150.0)] // a slow walk in 720p
    [InlineData(600.0)] // a fast arm
    public void Lag_on_a_noisy_constant_speed_point_is_under_two_frames(double speed)
    {
        double lag = LagInFrames(speed, 30, 2.0, 11);
        Assert.InRange(lag, -0.5, 1.999);
    }

    [Fact]
    public void Timing_comes_from_timestamps_not_frame_counts()
    {
        // At 60 fps a frame is half as long: the lag in seconds stays about the same, so in frames it does not halve.
        double lag30 = LagInFrames(150, 30, 2.0, 3) / 30, lag60 = LagInFrames(150, 60, 2.0, 3) / 60;
        Assert.InRange(lag60, 0.5 * lag30, 1.5 * lag30);
        Assert.InRange(lag60 * 30, 0, 1.999);
    }

    [Fact]
    public void First_sample_passes_through_and_reset_forgets()
    {
        var f = NewFilter();
        Assert.False(f.IsInitialized);
        Assert.Equal(42.0, f.Filter(42, 10.0));
        Assert.True(f.IsInitialized);
        double next = f.Filter(52, 10.0 + 1 / 30.0);
        Assert.InRange(next, 42.0001, 51.9999);
        f.Reset();
        Assert.Equal(7.0, f.Filter(7, 11.0));
    }

    [Fact]
    public void Repeated_or_backwards_timestamps_stay_finite()
    {
        var f = NewFilter();
        f.Filter(0, 1.0);
        Assert.True(double.IsFinite(f.Filter(5, 1.0)));
        Assert.True(double.IsFinite(f.Filter(6, 0.5)));
        Assert.True(double.IsFinite(f.Filter(7, 0.6)));
    }

    [Fact]
    public void Bad_settings_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new OneEuroFilter(0, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OneEuroFilter(1, -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OneEuroFilter(1, 0, double.NaN));
    }

    [Fact]
    public void Smoother_filters_confident_points_and_passes_unsure_ones_through()
    {
        var s = new KeypointSmoother(Defaults);
        s.Smooth(1, [new Keypoint(0, 0, 0.9f), new Keypoint(0, 0, 0.9f)], 0);
        var output = s.Smooth(1, [new Keypoint(10, 10, 0.9f), new Keypoint(10, 10, 0.1f)], 1 / 30.0);
        Assert.InRange(output[0].X, 0.001f, 9.999f);
        Assert.Equal(new Keypoint(10, 10, 0.1f), output[1]);
        // The unsure point's filter restarted: once confident again it starts from its new position.
        output = s.Smooth(1, [new Keypoint(10, 10, 0.9f), new Keypoint(50, 50, 0.9f)], 2 / 30.0);
        Assert.Equal(new Keypoint(50, 50, 0.9f), output[1]);
        Assert.Equal(1, s.TrackCount);
        Assert.True(s.Remove(1));
        Assert.Equal(0, s.TrackCount);
        Assert.Throws<ArgumentException>(() => s.Smooth(2, new Keypoint[3], 0, new Keypoint[2]));
    }
}
