namespace PoseTrack.Sinks;

/// <summary>
/// A sink that records how a run ended. The pipeline calls <see cref="WriteSummary"/> once, after the last frame and
/// before <see cref="IFrameSink.Complete"/>, on the same thread as <see cref="IFrameSink.Write"/> — whenever the
/// run ends without a failure: the input ended, <c>--max-frames</c> was reached, or the user stopped it (Ctrl+C,
/// SIGTERM, the preview window's q; also when the drain of the frames in flight was cut at its time limit or by a
/// second Ctrl+C, since the outputs still end at the last complete frame). A stage's or a sink's failure writes no
/// summary, nor of course a killed process, so a log without one is the log of a run that did not end normally.
/// </summary>
public interface ISummarySink
{
    /// <summary>Records the run's totals.</summary>
    void WriteSummary(RunTotals totals);
}

/// <summary>What a run that ended normally did, as the closing <c>{"type":"summary",…}</c> line of a JSON lines log records it.</summary>
/// <param name="Frames">Frames processed and written.</param>
/// <param name="Seconds">Wall time from the pipeline's start to the last frame written (the outputs' finalisation aside).</param>
/// <param name="Dropped">Frames dropped by a live source.</param>
/// <param name="Tracks">Distinct track ids assigned.</param>
/// <param name="Stopped">True when the user stopped the run early (Ctrl+C, SIGTERM, the preview window); false when the input
/// ended or <c>--max-frames</c> was reached.</param>
public sealed record RunTotals(long Frames, double Seconds, long Dropped, int Tracks, bool Stopped)
{
    /// <summary>Processing rate: frames per second of wall time (0 when no time passed).</summary>
    public double Fps { get; init; } = Seconds > 0 ? Frames / Seconds : 0;
}
