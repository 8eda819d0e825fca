using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace PoseTrack.Inference;

/// <summary>
/// ONNX Runtime's own log, routed to <see cref="ILogger"/>: the process-wide ONNX Runtime environment is created with a
/// logging callback, so the native library never writes its (red, multi-line) lines to the terminal itself. Messages
/// of warning severity and up reach the logger at <see cref="LogLevel.Debug"/> (the CLI shows them with --verbose);
/// the CLI's one-line messages say what matters.
/// </summary>
internal static class OrtLog
{
    private static readonly Lock Gate = new();
    private static ILogger _sink = NullLogger.Instance;
    // Session log ids (SessionOptions.LogId) to the logger of the code that made the session: several estimators with
    // their own loggers share the one environment.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ILogger> Sessions = new(StringComparer.Ordinal);
    private static long _sessions;
    // The native library keeps the callback's pointer for the life of the process: so does this field.
    private static DOrtLoggingFunction? _callback;

    /// <summary>True when the environment was created here, with the callback (false when someone else made it first).</summary>
    public static bool Routed { get; private set; }

    /// <summary>Sends ONNX Runtime's messages to <paramref name="logger"/> from now on and returns the environment.</summary>
    public static OrtEnv Use(ILogger logger)
    {
        _sink = logger;
        return Environment();
    }

    /// <summary>
    /// A log id for a new session whose ONNX Runtime messages go to <paramref name="logger"/> ("rtmdet-nano#3"); also
    /// makes <paramref name="logger"/> the one for messages of no session.
    /// </summary>
    public static string SessionLogId(string modelName, ILogger logger)
    {
        Use(logger);
        var id = $"{modelName}#{Interlocked.Increment(ref _sessions)}";
        Sessions[id] = logger;
        return id;
    }

    /// <summary>The ONNX Runtime environment, created with the logging callback when nothing created it before.</summary>
    public static OrtEnv Environment()
    {
        lock (Gate)
        {
            if (!OrtEnv.IsCreated)
            {
                _callback = OnMessage;
                var options = new EnvironmentCreationOptions
                {
                    logId = "posetrack",
                    logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
                    loggingFunction = _callback,
                };
                try
                {
                    OrtEnv.CreateInstanceWithOptions(ref options);
                    Routed = true;
                }
                catch (OnnxRuntimeException)
                {
                    // Created meanwhile by code outside this class: its logging stays as it was set up.
                }
            }
        }
        return OrtEnv.Instance();
    }

    private static void OnMessage(IntPtr param, OrtLoggingLevel severity, string category, string logId, string codeLocation, string message)
    {
        try
        {
            if (severity < OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING) return;
            string level = severity switch
            {
                OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING => "warning",
                OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR => "error",
                OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL => "fatal",
                _ => severity.ToString(),
            };
            var sink = logId is not null && Sessions.TryGetValue(logId, out var own) ? own : _sink;
            sink.LogDebug("ONNX Runtime {Severity}: {Message}", level, message.Trim());
        }
        catch (Exception)
        {
            // A callback from native code must never throw (the logger may be disposed at exit).
        }
    }
}
