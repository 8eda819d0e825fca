using System.Diagnostics;
using System.Globalization;

namespace PoseTrack.Benchmark;

/// <summary>
/// How much processor time other processes took while a phase ran (Linux: all-CPU busy time from /proc/stat minus
/// this process's own and its finished ffmpeg children's, the decoder and writer of the run): on a shared machine this
/// says whether a figure was taken on a quiet machine.
/// </summary>
internal readonly struct LoadMeter
{
    private readonly long _busyTicks, _start;
    private readonly TimeSpan _own;
    private readonly double _childrenMs;
    private readonly bool _valid;

    private LoadMeter(long busyTicks, TimeSpan own, double childrenMs, long start, bool valid)
    { _busyTicks = busyTicks; _own = own; _childrenMs = childrenMs; _start = start; _valid = valid; }

    /// <summary>Takes the starting snapshot.</summary>
    public static LoadMeter Start()
    {
        var busy = ReadBusyTicks();
        return new LoadMeter(busy ?? 0, OwnCpu(), CpuClock.ChildrenMs(), Stopwatch.GetTimestamp(), busy is not null);
    }

    /// <summary>Mean number of cores other processes kept busy since <see cref="Start"/>; NaN where /proc/stat is missing.</summary>
    public double OtherCores()
    {
        if (!_valid || ReadBusyTicks() is not { } busy) return double.NaN;
        double wall = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        if (wall <= 0) return double.NaN;
        // USER_HZ is 100 on every Linux configuration .NET runs on.
        double busySeconds = (busy - _busyTicks) / 100.0;
        double own = (OwnCpu() - _own).TotalSeconds + (CpuClock.ChildrenMs() - _childrenMs) / 1000.0;
        return Math.Max(0, (busySeconds - own) / wall);
    }

    /// <summary>CPU time this process has used so far (all threads): <see cref="CpuClock.OwnMs"/>, the one clock of the
    /// bench, so that ratios between its figures compare like with like.</summary>
    internal static TimeSpan OwnCpu() => TimeSpan.FromMilliseconds(CpuClock.OwnMs());

    /// <summary>user + nice + system + irq + softirq + steal over all CPUs, in USER_HZ ticks.</summary>
    private static long? ReadBusyTicks()
    {
        try
        {
            if (!OperatingSystem.IsLinux()) return null;
            using var reader = new StreamReader("/proc/stat");
            var line = reader.ReadLine();
            if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal)) return null;
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 9) return null;
            long v(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
            return v(1) + v(2) + v(3) + v(6) + v(7) + v(8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return null; }
    }
}
