using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using PoseTrack.Core;

namespace PoseTrack.Cli;

/// <summary>Console logging to stderr (stdout stays free for machine-readable output), credentials in URLs hidden.</summary>
internal static class Logging
{
    public static ILoggerFactory Create(bool quiet, bool verbose) => LoggerFactory.Create(b =>
    {
        b.AddConsole(o => { o.LogToStandardErrorThreshold = LogLevel.Trace; o.FormatterName = RedactingFormatter.FormatterName; });
        b.AddConsoleFormatter<RedactingFormatter, ConsoleFormatterOptions>();
        b.SetMinimumLevel(quiet ? LogLevel.Warning : verbose ? LogLevel.Debug : LogLevel.Information);
    });

    /// <summary>
    /// One plain line per entry, in the CLI's own voice and without logger categories or event ids:
    /// <c>posetrack: message</c> for information, <c>posetrack: warning: …</c>, <c>posetrack: error: …</c> and
    /// <c>posetrack: debug: …</c> (the same prefixes as the lines the commands print themselves). Every URL password
    /// is replaced by <c>***</c> (<see cref="Secrets.Redact"/>): whatever a library logs, no secret reaches the
    /// terminal or a redirected log.
    /// </summary>
    private sealed class RedactingFormatter() : ConsoleFormatter(FormatterName)
    {
        public const string FormatterName = "posetrack";

        public override void Write<TState>(in LogEntry<TState> entry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
        {
            var message = entry.Formatter(entry.State, entry.Exception);
            if (entry.Exception is not null) message += " " + entry.Exception.Message;
            if (string.IsNullOrEmpty(message)) return;
            textWriter.Write($"{Prefix(entry.LogLevel)}{Secrets.Redact(message).ReplaceLineEndings(" ")}{Environment.NewLine}");
        }

        /// <summary>The line's start for a level: information needs no word, the rest say what they are.</summary>
        public static string Prefix(LogLevel level) => level switch
        {
            LogLevel.Trace or LogLevel.Debug => "posetrack: debug: ",
            LogLevel.Information => "posetrack: ",
            LogLevel.Warning => "posetrack: warning: ",
            _ => "posetrack: error: ",
        };
    }
}
