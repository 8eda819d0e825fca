using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>
/// <c>--show</c>: a window with the annotated frames. q or Esc asks the run to stop (the frames in flight still
/// reach the other outputs). Needs a display: without one it fails at construction with a clear message.
/// </summary>
public sealed class PreviewWindowSink : IFrameSink
{
    private readonly string _title;
    private readonly Action _onQuit;
    private bool _open;

    /// <summary>Opens the window; <paramref name="onQuit"/> is called once when the user presses q or Esc.</summary>
    public PreviewWindowSink(string title, Action onQuit)
    {
        if (OperatingSystem.IsLinux() && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY"))
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WAYLAND_DISPLAY")))
            throw new PoseTrackException("--show needs a display, and none is set (DISPLAY/WAYLAND_DISPLAY); write --output FILE instead");
        _title = title; _onQuit = onQuit;
        try { Cv2.NamedWindow(_title, WindowFlags.AutoSize); _open = true; }
        catch (OpenCVException e) { throw new PoseTrackException($"--show cannot open a window: {e.Message}"); }
    }

    /// <inheritdoc />
    public bool NeedsImage => true;

    /// <inheritdoc />
    public void Write(FrameResult result, Mat? annotated)
    {
        if (!_open || annotated is null) return;
        Cv2.ImShow(_title, annotated);
        int key = Cv2.WaitKey(1) & 0xFF;
        if (IsQuitKey(key))
        {
            _open = false;
            Cv2.DestroyWindow(_title);
            _onQuit();
        }
    }

    /// <summary>q, Q or Esc: the keys that close the window and stop the run.</summary>
    internal static bool IsQuitKey(int key) => key is 'q' or 'Q' or 27;

    /// <inheritdoc />
    public void Complete()
    {
        if (!_open) return;
        _open = false;
        Cv2.DestroyWindow(_title);
    }

    /// <inheritdoc />
    public void Dispose() => Complete();
}
