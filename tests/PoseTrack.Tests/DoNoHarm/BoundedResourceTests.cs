using System.Diagnostics;
using static PoseTrack.Tests.Hardening.HardeningCli;

namespace PoseTrack.Tests.DoNoHarm;

/// <summary>Size options have upper limits tied to the machine; SIGTERM and Ctrl+C are honoured within 2 s in every state.</summary>
[Collection(TimingCollection.Name)]
public sealed class BoundedResourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("posetrack-bounds-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Video => Path.Combine(TestData.RepoRoot, "samples", "data", "vtest_10s.mp4");

    [Theory]
    [InlineData("--threads", "1000", "more than")]
    [InlineData("--channel-capacity", "100000", "more than 64")]
    public void Size_options_beyond_the_machine_are_one_line_and_exit_2(string option, string value, string expected)
    {
        var r = Run(_dir, "--input", Video, "--json", "o.jsonl", option, value);
        var line = AssertParseError(r, option, expected);
        if (option == "--threads") Assert.Contains($"{Environment.ProcessorCount} cores", line);
        Assert.False(File.Exists(Path.Combine(_dir, "o.jsonl")));
    }

    [Theory]
    [InlineData("--det-threads", "999")]
    [InlineData("--pose-runs", "999")]
    public void Bench_thread_options_are_bounded_too(string option, string value) =>
        AssertParseError(Run(_dir, "bench", "--input", Video, option, value, "-q"), option, "more than");

    /// <summary>Exit 2, the first stderr line is the error naming the option (a hint to --help may follow), no trace.</summary>
    private static string AssertParseError(CliProcess.Result r, params string[] expected)
    {
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
        var line = ErrLines(r)[0];
        Assert.StartsWith("posetrack: error: ", line, StringComparison.Ordinal);
        foreach (var e in expected) Assert.Contains(e, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr);
        return line;
    }

    /// <summary>SIGTERM at several moments (start-up, model loading, mid-run): the process ends within 2 s of it.</summary>
    [Theory]
    [InlineData("INT", 0.3)]
    [InlineData("TERM", 0.3)]
    [InlineData("TERM", 1.0)]
    [InlineData("TERM", 2.0)]
    [InlineData("TERM", 4.0)]
    public async Task Signals_are_honoured_within_two_seconds_in_every_state(string signal, double afterSeconds)
    {
        using var p = CliProcess.Start(_dir, "--input", Video, "--json", "o.jsonl", "--output", "o.mkv", "--threads", Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture), "-q");
        var err = p.StandardError.ReadToEndAsync();
        var outText = p.StandardOutput.ReadToEndAsync();
        Thread.Sleep(TimeSpan.FromSeconds(afterSeconds));
        Assert.False(p.HasExited, "ended before the signal");
        var sent = Stopwatch.StartNew();
        using (var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {p.Id}") { UseShellExecute = false })!) kill.WaitForExit();
        bool ended = p.WaitForExit(TimeSpan.FromSeconds(10));
        var took = sent.Elapsed;
        if (!ended) p.Kill(entireProcessTree: true);
        Assert.True(ended, $"still running 10 s after SIG{signal}");
        var stderr = await err;
        Assert.True(took < TimeSpan.FromSeconds(2), $"SIG{signal} at {afterSeconds} s took {took.TotalSeconds:F2} s to end the run\n{stderr}");
        // 130 once the command has taken the signal; a SIGTERM that lands while the runtime is still starting (before
        // any managed code runs) ends the process by the default action, 143 — honoured all the same.
        Assert.True(p.ExitCode == 130 || (p.ExitCode == 143 && signal == "TERM" && stderr.Length == 0), $"exit {p.ExitCode}: {stderr}{await outText}");
        Assert.DoesNotContain("   at ", stderr);
    }
}

/// <summary>
/// Tests that measure how fast a process answers a signal run alone, after the parallel tests: a suite that loads
/// both cores with model runs would otherwise measure the machine, not the program.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "timing (runs alone)";
}
