using System.CommandLine;
using PoseTrack.Core;
using PoseTrack.Pipeline;
using Prometheus;

namespace PoseTrack.Cli;

/// <summary>--metrics-port / --metrics-host: where a long multi-stream or batch run serves its Prometheus metrics.</summary>
internal sealed class MetricsArgs
{
    public Option<int?> Port { get; } = new("--metrics-port") { Description = "Serve Prometheus metrics at http://HOST:PORT/metrics/ while the run lasts (frames, fps, dropped, people per stream)" };
    public Option<string> Host { get; } = new("--metrics-host") { Description = "Address the metrics are served on (default 127.0.0.1: this machine only)", DefaultValueFactory = _ => "127.0.0.1" };

    public void AddTo(Command command) { command.Options.Add(Port); command.Options.Add(Host); }

    /// <summary>Starts the exporter when --metrics-port was given; null otherwise.</summary>
    public StreamMetrics? Start(ParseResult r)
    {
        if (r.GetValue(Port) is not { } port) return null;
        if (port is < 1 or > 65535) throw new PoseTrackException($"--metrics-port must be from 1 to 65535 (got {port})");
        return StreamMetrics.Start(r.GetValue(Host) ?? "127.0.0.1", port);
    }
}

/// <summary>
/// Prometheus metrics of the streams of a run through prometheus-net (its own registry and HTTP listener): frames,
/// dropped frames, fps and people in the last frame, labelled by stream.
/// </summary>
internal sealed class StreamMetrics : IDisposable
{
    private readonly MetricServer _server;
    private readonly Counter _frames, _dropped;
    private readonly Gauge _fps, _people, _failed;

    private StreamMetrics(MetricServer server, CollectorRegistry registry)
    {
        _server = server;
        var factory = Metrics.WithCustomRegistry(registry);
        _frames = factory.CreateCounter("posetrack_frames_total", "Frames processed", "stream");
        _dropped = factory.CreateCounter("posetrack_dropped_frames_total", "Frames a live stream dropped to keep up", "stream");
        _fps = factory.CreateGauge("posetrack_fps", "Mean frames per second of the stream so far", "stream");
        _people = factory.CreateGauge("posetrack_people", "People in the stream's last frame", "stream");
        _failed = factory.CreateGauge("posetrack_stream_failed", "1 once the stream failed", "stream");
    }

    public static StreamMetrics Start(string host, int port)
    {
        var registry = Metrics.NewCustomRegistry();
        var server = new MetricServer(host, port, "metrics/", registry);
        try { server.Start(); }
        catch (Exception e) when (e is System.Net.HttpListenerException or InvalidOperationException)
        {
            server.Dispose();
            throw new PoseTrackException($"--metrics-port {port}: cannot listen on {host}: {e.Message}");
        }
        return new StreamMetrics(server, registry);
    }

    public void Report(string stream, PipelineProgress p)
    {
        _frames.WithLabels(stream).IncTo(p.FramesDone);
        _dropped.WithLabels(stream).IncTo(p.Dropped);
        _fps.WithLabels(stream).Set(p.Fps);
        _people.WithLabels(stream).Set(p.People);
    }

    public void Failed(string stream) => _failed.WithLabels(stream).Set(1);

    public void Dispose() => _server.Dispose();
}
