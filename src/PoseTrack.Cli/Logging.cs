using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace PoseTrack.Cli;

/// <summary>Console logging to stderr (stdout stays free for machine-readable output).</summary>
internal static class Logging
{
    public static ILoggerFactory Create(bool quiet, bool verbose) => LoggerFactory.Create(b =>
    {
        b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = null; o.ColorBehavior = LoggerColorBehavior.Disabled; });
        b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        b.SetMinimumLevel(quiet ? LogLevel.Warning : verbose ? LogLevel.Debug : LogLevel.Information);
    });
}
