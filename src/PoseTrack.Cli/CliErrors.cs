using System.Runtime.InteropServices;
using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Cli;

/// <summary>Exit codes and the one-line error reporting every command shares: no stack traces for bad input.</summary>
internal static class CliErrors
{
    public const int Ok = 0;
    public const int Internal = 1;
    public const int BadInput = 2;
    public const int Interrupted = 130;

    /// <summary>
    /// Exit code of a run that ended normally or was stopped: a stop asked for in the preview window (q or Esc) is the
    /// user's deliberate end of the run (0); a stop by Ctrl+C or SIGTERM is an interruption (130).
    /// </summary>
    public static int ForStop(bool stopped, bool quitInWindow) => stopped && !quitInWindow ? Interrupted : Ok;

    public static int Report(string message, int code = BadInput)
    {
        Console.Error.WriteLine($"posetrack: error: {Secrets.Redact(message)}");
        return code;
    }

    /// <summary>Runs a command body, turning known failures into one clear line and an exit code.</summary>
    public static Task<int> GuardAsync(Func<Task<int>> body) => GuardAsync(CancellationToken.None, _ => body());

    /// <summary>
    /// Runs a command body, turning known failures into one clear line and an exit code. With
    /// <paramref name="handleCtrlC"/> the first Ctrl+C cancels the token the body gets (so it can clean up; then exit
    /// 130) and a second one ends the process. <paramref name="native"/> = false skips the OpenCV runtime check for
    /// commands that never touch images or video.
    /// </summary>
    public static async Task<int> GuardAsync(CancellationToken ct, Func<CancellationToken, Task<int>> body, bool handleCtrlC = false, bool native = true)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested) return; // second Ctrl+C: exit at once
            e.Cancel = true;
            cts.Cancel();
        };
        if (handleCtrlC) Console.CancelKeyPress += onCancel;
        // SIGTERM acts like the first Ctrl+C for the commands that clean up; for the others it ends the process.
        using var onTerminate = handleCtrlC ? Interrupts.OnTerminate(() => { if (!cts.IsCancellationRequested) cts.Cancel(); }) : null;
        try
        {
            if (native)
            {
                EnsureNativeRuntime();
                // FFmpeg/OpenCV print their own warnings ("moov atom not found") before our one-line error; keep them
                // off stderr unless debugging.
                if (Environment.GetEnvironmentVariable("POSETRACK_DEBUG") != "1") PoseTrack.Sources.FrameSources.SilenceNativeLogs();
            }
            return await body(cts.Token).ConfigureAwait(false);
        }
        // The library's errors are bad input (its exceptions carry no exit code: choosing one is the CLI's business).
        // The library names its ExecutionDevice property; the user typed --device.
        catch (PoseTrackException e) when (e.Message.StartsWith("Device ", StringComparison.Ordinal)) { return Report("--device " + e.Message["Device ".Length..], BadInput); }
        catch (PoseTrackException e) { return Report(e.Message, BadInput); }
        catch (OperationCanceledException) { return Report("interrupted", Interrupted); }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException && e.ToString().Contains("OpenCvSharpExtern", StringComparison.Ordinal))
        { return Report(NativeHint, BadInput); }
        catch (OpenCVException e) { return Report($"OpenCV: {e.Message}", BadInput); }
        catch (Exception e)
        {
            Console.Error.WriteLine($"posetrack: internal error: {e.GetType().Name}: {Secrets.Redact(e.Message)}");
            if (Environment.GetEnvironmentVariable("POSETRACK_DEBUG") == "1") Console.Error.WriteLine(Secrets.Redact(e.ToString()));
            return Internal;
        }
        finally
        {
            if (handleCtrlC) Console.CancelKeyPress -= onCancel;
        }
    }

    public static int Guard(Func<int> body) => GuardAsync(() => Task.FromResult(body())).GetAwaiter().GetResult();

    private const string NativeHint =
        "the OpenCV native runtime cannot be loaded: libgtk-3.so.0 is missing. Install it with: sudo apt-get install -y libgtk-3-0 (Debian 13/Ubuntu 24.04: libgtk-3-0t64), or run scripts/setup.sh";

    private static bool _nativeChecked;

    /// <summary>
    /// OpenCvSharp's native library links GTK 3; without it every OpenCV call fails with a DllNotFoundException deep
    /// inside a type initialiser. Checking once up front turns that into a message naming the package to install.
    /// </summary>
    private static void EnsureNativeRuntime()
    {
        if (_nativeChecked) return;
        if (OperatingSystem.IsLinux() && !NativeLibrary.TryLoad("libgtk-3.so.0", out _))
            throw new PoseTrackException(NativeHint);
        _nativeChecked = true;
    }
}
