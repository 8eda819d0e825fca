using System.ComponentModel;
using System.Diagnostics;

namespace PoseTrack.Tests;

/// <summary>
/// Runs child processes for the tests: the real <c>posetrack</c> command (built next to the tests), or any program
/// (node, Chromium, bash). Output is read while the process runs; on timeout the whole process tree is killed.
/// </summary>
internal static class CliProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(string workingDirectory, params string[] args) => Run(workingDirectory, TimeSpan.FromMinutes(3), args);

    public static Result Run(string workingDirectory, TimeSpan timeout, params string[] args) =>
        RunProgram("dotnet", [PosetrackDll, .. args], timeout, workingDirectory);

    /// <summary><see cref="Run(string, string[])"/> with extra environment variables (XDG_DATA_HOME, HOME, …).</summary>
    public static Result RunWithEnvironment(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunProgram("dotnet", [PosetrackDll, .. args], TimeSpan.FromMinutes(3), workingDirectory, environment);

    /// <summary>Runs <paramref name="program"/> (a path, or a name on PATH) with standard input closed and waits for it.</summary>
    public static Result RunProgram(string program, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        using var p = StartProgram(program, args, workingDirectory, environment);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {timeout}");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts the command without waiting (for signal tests); standard input is closed, as under CI.</summary>
    public static Process Start(string workingDirectory, params string[] args) => StartWithEnvironment(workingDirectory, null, args);

    /// <summary><see cref="Start"/> with extra environment variables (TMPDIR, …).</summary>
    public static Process StartWithEnvironment(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        StartProgram("dotnet", [PosetrackDll, .. args], workingDirectory, environment);

    /// <summary>
    /// Runs the command with <paramref name="stdinFile"/> written into its standard input through a pipe (not a
    /// file redirect, so nothing can seek it), then closed. A writer cut off by the command's exit is not an error.
    /// </summary>
    public static Result RunWithStdin(string workingDirectory, string stdinFile, TimeSpan timeout, params string[] args)
    {
        using var p = StartProgram("dotnet", [PosetrackDll, .. args], workingDirectory, null, closeStdin: false);
        var feed = Task.Run(() =>
        {
            try
            {
                using (var file = File.OpenRead(stdinFile)) file.CopyTo(p.StandardInput.BaseStream);
                p.StandardInput.Close();
            }
            catch (IOException) { /* the command stopped reading: broken pipe */ }
        });
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"posetrack {string.Join(' ', args)} < {stdinFile} did not finish within {timeout}");
        }
        feed.Wait(TimeSpan.FromSeconds(10));
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    internal static string PosetrackDll => Path.Combine(AppContext.BaseDirectory, "PoseTrack.Cli.dll");

    internal static Process StartProgram(string program, IEnumerable<string> args, string? workingDirectory, IReadOnlyDictionary<string, string>? environment,
        bool closeStdin = true)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi) ?? throw new InvalidOperationException($"{program} did not start"); }
        catch (Win32Exception e) { throw new InvalidOperationException($"'{program}' must be installed (on PATH) for this test", e); }
        if (closeStdin) p.StandardInput.Close();
        return p;
    }
}
