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
    /// One line per entry, as the simple console formatter writes it (<c>info: posetrack[0] message</c>), with every
    /// URL password replaced by <c>***</c> (<see cref="Secrets.Redact"/>): whatever a library logs, no secret
    /// reaches the terminal or a redirected log.
    /// </summary>
    private sealed class RedactingFormatter() : ConsoleFormatter(FormatterName)
    {
        public const string FormatterName = "posetrack";

        public override void Write<TState>(in LogEntry<TState> entry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
        {
            var message = entry.Formatter(entry.State, entry.Exception);
            if (entry.Exception is not null) message += " " + entry.Exception.Message;
            if (string.IsNullOrEmpty(message)) return;
            string level = entry.LogLevel switch
            {
                LogLevel.Trace => "trce", LogLevel.Debug => "dbug", LogLevel.Information => "info",
                LogLevel.Warning => "warn", LogLevel.Error => "fail", LogLevel.Critical => "crit", _ => "none",
            };
            textWriter.Write($"{level}: {entry.Category}[{entry.EventId.Id}] {Secrets.Redact(message).ReplaceLineEndings(" ")}{Environment.NewLine}");
        }
    }
}
