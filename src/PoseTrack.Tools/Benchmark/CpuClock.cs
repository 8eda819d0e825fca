using System.Diagnostics;
using System.Runtime.InteropServices;

namespace PoseTrack.Benchmark;

/// <summary>
/// Processor time (user + system) used by this process's threads and by its finished child processes (ffmpeg
/// readers and writers), from getrusage(2) in microseconds. Unlike the wall clock it does not grow when other
/// processes share the cores, so a part measured alone on a busy machine still gives its own cost. A child's time
/// is counted once it has exited and been waited for.
/// </summary>
internal static partial class CpuClock
{
    private const int RusageSelf = 0, RusageChildren = -1;

    /// <summary>What the figures are, as the report says it.</summary>
    public const string Description = "process CPU time (getrusage: all threads of posetrack and its finished ffmpeg children, user + system), not wall time";

    /// <summary>Milliseconds of processor time so far: this process plus its waited-for children.</summary>
    public static double NowMs() => OwnMs() + ChildrenMs();

    /// <summary>This process's processor time so far (all threads).</summary>
    public static double OwnMs()
    {
        if (OperatingSystem.IsLinux()) return Read(RusageSelf);
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalMilliseconds;
    }

    /// <summary>Processor time of the children that have exited and been waited for (0 off Linux).</summary>
    public static double ChildrenMs() => OperatingSystem.IsLinux() ? Read(RusageChildren) : 0;

    /// <summary>
    /// Processor time so far of a running process (a decoder child), from /proc/PID/stat (utime + stime, in clock ticks
    /// of 10 ms); NaN when it cannot be read. Lets a part be timed over an interval of a child's life, without its
    /// start-up (loading libraries, opening the file: about 0.25 s for Debian's ffmpeg).
    /// </summary>
    public static double ProcessMs(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Fields 14 and 15 of the file (utime, stime) are 11 and 12 after the state (field 3).
            long ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture)
                + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            return ticks * 1000.0 / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return double.NaN;
        }
    }

    // sysconf(_SC_CLK_TCK): 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    private static unsafe double Read(int who)
    {
        // struct rusage on 64-bit Linux: ru_utime and ru_stime (timeval: seconds, microseconds), then 14 longs.
        long* usage = stackalloc long[18];
        if (GetRusage(who, usage) != 0) return double.NaN;
        return (usage[0] + usage[2]) * 1000.0 + (usage[1] + usage[3]) / 1000.0;
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static unsafe partial int GetRusage(int who, long* usage);
}
