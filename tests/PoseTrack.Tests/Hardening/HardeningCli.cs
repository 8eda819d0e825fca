using System.Diagnostics;

namespace PoseTrack.Tests.Hardening;

/// <summary>Runs the real command for the hardening tests and checks the one-line error convention.</summary>
internal static class HardeningCli
{
    public static CliProcess.Result Run(string dir, params string[] args) => CliProcess.Run(dir, TimeSpan.FromMinutes(2), args);

    /// <summary>
    /// Runs the command under a file-size limit (<c>ulimit -f</c>, in KiB): writes past it fail with EFBIG, the way a
    /// full disk fails them with ENOSPC. W^X is off because the runtime's double-mapped code pages are files too.
    /// </summary>
    public static CliProcess.Result RunWithFileSizeLimit(string dir, int kib, params string[] args)
    {
        return CliProcess.RunProgram("bash",
            ["-c", $"ulimit -f {kib} && exec dotnet \"$@\"", "bash", Path.Combine(AppContext.BaseDirectory, "PoseTrack.Cli.dll"), .. args],
            TimeSpan.FromMinutes(2), dir, new Dictionary<string, string> { ["DOTNET_EnableWriteXorExecute"] = "0" });
    }

    /// <summary>The non-empty lines of stderr.</summary>
    public static List<string> ErrLines(CliProcess.Result r) =>
        r.Stderr.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();

    /// <summary>
    /// Exit code 2 and stderr is exactly one line, <c>posetrack: error: …</c>, containing every expected fragment
    /// (case-insensitive); no stack trace, no native library noise. Returns the line.
    /// </summary>
    public static string AssertOneErrorLine(CliProcess.Result r, params string[] expected)
    {
        var lines = ErrLines(r);
        Assert.True(r.ExitCode == 2, $"exit code {r.ExitCode}, stderr:\n{r.Stderr}");
        Assert.True(lines.Count == 1, $"expected one stderr line, got {lines.Count}:\n{r.Stderr}");
        var line = lines[0];
        Assert.StartsWith("posetrack: error: ", line, StringComparison.Ordinal);
        foreach (var e in expected) Assert.Contains(e, line, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.DoesNotContain("Unhandled", r.Stderr);
        return line;
    }

    /// <summary>A copy of the shipped models folder that a test may damage.</summary>
    public static string CopyModels(string dir)
    {
        var models = Path.Combine(dir, "models");
        Directory.CreateDirectory(models);
        foreach (var f in Directory.GetFiles(TestData.ModelsDir))
        {
            var to = Path.Combine(models, Path.GetFileName(f));
            File.Copy(f, to);
            File.SetAttributes(to, FileAttributes.Normal);
        }
        return models;
    }

    /// <summary>Runs a short helper program (chattr, mount) and fails the test with its output when it fails.</summary>
    public static void Exec(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {err}");
    }
}
