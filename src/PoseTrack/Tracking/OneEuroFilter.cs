namespace PoseTrack.Tracking;

/// <summary>
/// The One Euro filter (Casiez, Roussel and Vogel, CHI 2012): a low-pass filter whose cutoff rises with the signal's
/// speed, so still signals are strongly smoothed (jitter removed) and fast ones barely delayed (lag removed).
/// cutoff = <see cref="MinCutoff"/> + <see cref="Beta"/> × |speed|, the speed itself being low-pass filtered at
/// <see cref="DCutoff"/>. Times are real timestamps in seconds, so behaviour does not depend on the frame rate.
/// </summary>
internal sealed class OneEuroFilter
{
    /// <summary>
    /// Interval assumed when timestamps do not increase (a repeated or backwards frame time), before any real interval
    /// is known: one frame at 30 fps. Afterwards the last real interval is reused, which avoids dividing by zero.
    /// </summary>
    public const double FallbackIntervalSeconds = 1.0 / 30.0;

    private double _value, _speed, _time, _interval = FallbackIntervalSeconds;

    /// <summary>Builds a filter.</summary>
    /// <param name="minCutoff">Cutoff in Hz for a still signal (&gt; 0).</param>
    /// <param name="beta">Cutoff increase per unit of speed (≥ 0).</param>
    /// <param name="dCutoff">Cutoff in Hz of the speed estimate (&gt; 0).</param>
    public OneEuroFilter(double minCutoff, double beta, double dCutoff)
    {
        if (!(minCutoff > 0) || double.IsInfinity(minCutoff)) throw new ArgumentOutOfRangeException(nameof(minCutoff), minCutoff, "Must be a positive number.");
        if (!(beta >= 0) || double.IsInfinity(beta)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "Must be 0 or more.");
        if (!(dCutoff > 0) || double.IsInfinity(dCutoff)) throw new ArgumentOutOfRangeException(nameof(dCutoff), dCutoff, "Must be a positive number.");
        MinCutoff = minCutoff; Beta = beta; DCutoff = dCutoff;
    }

    /// <summary>Cutoff frequency in Hz for a still signal.</summary>
    public double MinCutoff { get; }
    /// <summary>Cutoff increase per unit of speed (units of the signal per second).</summary>
    public double Beta { get; }
    /// <summary>Cutoff frequency in Hz of the speed estimate.</summary>
    public double DCutoff { get; }

    /// <summary>Whether the filter has seen a sample since it was built or reset.</summary>
    public bool IsInitialized { get; private set; }

    /// <summary>The last filtered value (0 before the first sample).</summary>
    public double Value => _value;

    /// <summary>Feeds one sample taken at <paramref name="timeSeconds"/> and returns the filtered value.</summary>
    public double Filter(double value, double timeSeconds)
    {
        if (!IsInitialized || !double.IsFinite(_value))
        {
            // The first sample (or recovery from a non-finite one) passes through and anchors the filter.
            _value = value; _speed = 0; _time = timeSeconds;
            IsInitialized = true;
            return value;
        }
        double dt = timeSeconds - _time;
        if (dt > 0) _interval = dt; else dt = _interval;
        _time = timeSeconds;

        // Speed from the previous filtered value, as in the paper's pseudo-code (some implementations use the previous
        // raw value); it includes the current lag, so lag itself opens the cutoff. Smoothed so jitter does not.
        double rawSpeed = (value - _value) / dt;
        _speed += Alpha(DCutoff, dt) * (rawSpeed - _speed);
        double cutoff = MinCutoff + Beta * Math.Abs(_speed);
        _value += Alpha(cutoff, dt) * (value - _value);
        return _value;
    }

    /// <summary>Forgets the past; the next sample passes through unchanged.</summary>
    public void Reset()
    {
        IsInitialized = false;
        _value = 0; _speed = 0; _interval = FallbackIntervalSeconds;
    }

    /// <summary>Smoothing factor of an exponential filter with the given cutoff (Hz) at sampling interval dt (s).</summary>
    private static double Alpha(double cutoff, double dt)
    {
        double tau = 1.0 / (2.0 * Math.PI * cutoff);
        return 1.0 / (1.0 + tau / dt);
    }
}
