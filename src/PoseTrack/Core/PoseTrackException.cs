namespace PoseTrack.Core;

/// <summary>
/// An error caused by the user's input (files, models, options) rather than by a bug. Its message is one line that
/// names the input or option at fault; what a program does with it (the command-line tool prints it and exits with
/// its "bad input" code) is the program's business.
/// </summary>
public class PoseTrackException : Exception
{
    /// <summary>
    /// Creates the error with a one-line message: line breaks (from a quoted file name, model name or JSON token)
    /// become spaces, so the command's "one line on stderr" holds whatever the input held.
    /// </summary>
    public PoseTrackException(string message, Exception? inner = null)
        : base(message?.ReplaceLineEndings(" "), inner)
    {
    }
}
