namespace PoseTrack.Core;

/// <summary>
/// An error caused by the user's input (files, models, options) rather than by a bug.
/// The command-line tool prints its message as one line and exits with <see cref="ExitCode"/>.
/// </summary>
public class PoseTrackException : Exception
{
    /// <summary>Process exit code for this error (2 = bad input).</summary>
    public int ExitCode { get; }

    /// <summary>
    /// Creates the error with a one-line message: line breaks (from a quoted file name, model name or JSON token)
    /// become spaces, so the command's "one line on stderr" holds whatever the input held.
    /// </summary>
    public PoseTrackException(string message, int exitCode = 2, Exception? inner = null)
        : base(message?.ReplaceLineEndings(" "), inner)
        => ExitCode = exitCode;
}
