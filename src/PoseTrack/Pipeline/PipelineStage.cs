using System.Diagnostics;
using System.Threading.Channels;

namespace PoseTrack.Pipeline;

/// <summary>Busy time and frame count of one stage, for the summary and the benchmark.</summary>
internal sealed class StageStats(string name)
{
    public string Name { get; } = name;
    private long _busyTicks, _frames, _depthSum, _depthSamples;
    public long Frames => Interlocked.Read(ref _frames);
    public TimeSpan Busy => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _busyTicks));
    /// <summary>Mean number of frames waiting in the stage's input when it took one (0 when never sampled).</summary>
    public double MeanQueueDepth => Interlocked.Read(ref _depthSamples) is > 0 and var n ? (double)Interlocked.Read(ref _depthSum) / n : 0;
    public void Add(long ticks) { Interlocked.Add(ref _busyTicks, ticks); Interlocked.Increment(ref _frames); }

    /// <summary>Records how many frames still wait in the input (cheap: a bounded channel keeps its count).</summary>
    public void SampleDepth<T>(ChannelReader<T> input)
    {
        if (!input.CanCount) return;
        Interlocked.Add(ref _depthSum, input.Count);
        Interlocked.Increment(ref _depthSamples);
    }

    public StageSummary ToSummary() => new(Name, Frames, Busy) { MeanQueueDepth = MeanQueueDepth };
}

/// <summary>
/// A pipeline stage: reads frames in order, does its one job on each, passes it on. Completion flows downstream
/// (the output completes when the input does); an exception completes the output with that exception so the
/// stages below stop too, and is rethrown to the pipeline.
/// </summary>
internal abstract class PipelineStage(string name)
{
    public StageStats Stats { get; } = new(name);
    public string Name => Stats.Name;
    /// <summary>Called with the stage name and frame index before each frame (test seam, see PipelineOptions.StageHook).</summary>
    public Action<string, long>? Hook { get; set; }

    /// <summary>Does this stage's work on one frame (on the stage's own task).</summary>
    protected abstract ValueTask ProcessAsync(FramePacket packet, CancellationToken ct);

    public async Task RunAsync(ChannelReader<FramePacket> input, ChannelWriter<FramePacket> output, CancellationToken ct)
    {
        try
        {
            await foreach (var packet in input.ReadAllAsync(ct).ConfigureAwait(false))
            {
                Stats.SampleDepth(input);
                Hook?.Invoke(Name, packet.Index);
                long t0 = Stopwatch.GetTimestamp();
                await ProcessAsync(packet, ct).ConfigureAwait(false);
                Stats.Add(Stopwatch.GetTimestamp() - t0);
                await output.WriteAsync(packet, ct).ConfigureAwait(false);
            }
            output.TryComplete();
        }
        catch (Exception e)
        {
            output.TryComplete(e);
            throw;
        }
    }

}
