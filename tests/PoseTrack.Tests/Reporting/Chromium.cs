using System.Diagnostics;

namespace PoseTrack.Tests.Reporting;

/// <summary>
/// Headless Chromium for the report's browser test. Missing Chromium is a failure, never a skip: CI installs it
/// (<c>bash scripts/ci-browser.sh</c>, i.e. <c>apt-get install -y chromium</c>).
/// </summary>
internal static class Chromium
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public const string InstallHint = "install it with: sudo apt-get install -y chromium (or run: bash scripts/ci-browser.sh)";

    /// <summary>The browser: $POSETRACK_CHROMIUM, else chromium / chromium-browser / google-chrome on PATH; throws when none.</summary>
    public static string Path()
    {
        var env = Environment.GetEnvironmentVariable("POSETRACK_CHROMIUM");
        if (!string.IsNullOrEmpty(env))
            return File.Exists(env) ? env : throw new InvalidOperationException($"POSETRACK_CHROMIUM={env} does not exist");
        foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome", "google-chrome-stable" })
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                var p = System.IO.Path.Combine(dir, name);
                if (File.Exists(p)) return p;
            }
        throw new InvalidOperationException(
            $"Chromium is needed for the report's browser test and was not found (CI={Environment.GetEnvironmentVariable("CI") ?? "unset"}); {InstallHint}");
    }

    /// <summary>Runs headless Chromium on <paramref name="url"/> with <paramref name="extra"/> arguments (--dump-dom, --screenshot=…).</summary>
    public static Result Run(string url, TimeSpan timeout, params string[] extra)
    {
        var profile = TestData.TempDir("chromium-profile");
        string[] args =
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
            "--hide-scrollbars", $"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", .. extra, url,
        ];
        try
        {
            var r = CliProcess.RunProgram(Path(), args, timeout);
            return new Result(r.ExitCode, r.Stdout, r.Stderr);
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The page's console messages (and uncaught errors) that Chromium logged to stderr.</summary>
    public static IReadOnlyList<string> ConsoleLines(string stderr)
        => [.. stderr.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).Select(l => l.Trim())];
}
