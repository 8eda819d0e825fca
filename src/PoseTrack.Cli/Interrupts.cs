using System.Runtime.InteropServices;

namespace PoseTrack.Cli;

/// <summary>
/// SIGTERM for the whole process, registered once at start-up: it goes to the command that is running (which
/// drains and finalises its outputs, as for Ctrl+C), and before any command has taken it — start-up, option parsing
/// — ends the process at once with 130, as Ctrl+C does then. So a SIGTERM is honoured in every state, with one exit
/// code, instead of the runtime's default 143 before a command registered.
/// </summary>
internal static class Interrupts
{
    private static readonly object Gate = new();
    private static readonly Stack<Action> Handlers = new();
    private static PosixSignalRegistration? _registration;

    /// <summary>Takes over SIGTERM for the process (call once, first thing).</summary>
    public static void Install() => _registration ??= PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
    {
        context.Cancel = true;
        Action? handler;
        lock (Gate) handler = Handlers.Count > 0 ? Handlers.Peek() : null;
        if (handler is null) Environment.Exit(CliErrors.Interrupted);
        else handler();
    });

    /// <summary>Sends SIGTERM to <paramref name="handler"/> until the returned object is disposed.</summary>
    public static IDisposable OnTerminate(Action handler)
    {
        lock (Gate) Handlers.Push(handler);
        return new Registration(handler);
    }

    private sealed class Registration(Action handler) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            lock (Gate)
            {
                if (_disposed) return;
                _disposed = true;
                // Registrations end in reverse order of their start (using blocks); tolerate any order all the same.
                var kept = Handlers.Where(h => h != handler).Reverse().ToList();
                Handlers.Clear();
                foreach (var h in kept) Handlers.Push(h);
            }
        }
    }
}
