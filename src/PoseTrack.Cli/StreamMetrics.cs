using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using PoseTrack.Core;
using PoseTrack.Pipeline;
using Prometheus;

namespace PoseTrack.Cli;

/// <summary>--metrics-port / --metrics-host: where a long multi-stream or batch run serves its Prometheus metrics.</summary>
internal sealed class MetricsArgs
{
    public Option<int?> Port { get; } = new("--metrics-port") { Description = "Serve Prometheus metrics at http://HOST:PORT/metrics (frames, fps, dropped, people, latency, reconnects, stage busy time per stream) and each stream's state at /healthz while the run lasts" };
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
/// Prometheus metrics of the streams of a run through prometheus-net (its own registry; the text format is the
/// library's): frames, dropped frames, fps, people, frame latency, reconnects and stage busy time, labelled by stream;
/// and <c>/healthz</c>, each stream's state as JSON: 200 while any stream has not failed, 503 once every stream failed.
/// Both are served by one <see cref="HttpListener"/> (prometheus-net's own MetricServer serves only /metrics).
/// </summary>
internal sealed class StreamMetrics : IDisposable
{
    private readonly HttpListener _listener;
    private readonly CollectorRegistry _registry;
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _serving;
    private readonly Counter _frames, _dropped, _reconnects, _busy;
    private readonly Gauge _fps, _people, _failed;
    private readonly Histogram _latency;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Health> _health = new();

    /// <summary>One stream's state for /healthz.</summary>
    private sealed class Health
    {
        public volatile string State = "starting";
        public long Frames;
        public long LastFrameAt;   // Stopwatch timestamp; 0 before the first frame
        public string? Problem;
    }

    private StreamMetrics(HttpListener listener, CollectorRegistry registry)
    {
        _listener = listener;
        _registry = registry;
        var factory = Metrics.WithCustomRegistry(registry);
        _frames = factory.CreateCounter("posetrack_frames_total", "Frames processed", "stream");
        _dropped = factory.CreateCounter("posetrack_dropped_frames_total", "Frames a live stream dropped to keep up", "stream");
        _fps = factory.CreateGauge("posetrack_fps", "Mean frames per second of the stream so far", "stream");
        _people = factory.CreateGauge("posetrack_people", "People in the stream's last frame", "stream");
        _failed = factory.CreateGauge("posetrack_stream_failed", "1 once the stream failed", "stream");
        _reconnects = factory.CreateCounter("posetrack_reconnects_total", "Interruptions of a live stream bridged by reconnecting", "stream");
        _busy = factory.CreateCounter("posetrack_stage_busy_seconds_total", "Time each pipeline stage of the stream spent working (not waiting)", "stream", "stage");
        // Frame latency from read to written: 5 ms to about 20 s in doublings, wide enough for a CPU run of several
        // streams (hundreds of ms) and for a stream backed up behind full channels.
        _latency = factory.CreateHistogram("posetrack_latency_seconds", "Time a frame took from being read to being written", new HistogramConfiguration
        {
            LabelNames = ["stream"],
            Buckets = Histogram.ExponentialBuckets(0.005, 2, 12),
        });
        _serving = Task.Run(ServeAsync);
    }

    public static StreamMetrics Start(string host, int port)
    {
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://{host}:{port}/");
        try { listener.Start(); }
        catch (Exception e) when (e is HttpListenerException or InvalidOperationException or ArgumentException)
        {
            ((IDisposable)listener).Dispose();
            throw new PoseTrackException($"--metrics-port {port}: cannot listen on {host}: {e.Message}");
        }
        return new StreamMetrics(listener, Metrics.NewCustomRegistry());
    }

    /// <summary>A stream about to be opened: /healthz lists it as starting.</summary>
    public void Starting(string stream) => _health.TryAdd(stream, new Health());

    public void Report(string stream, PipelineProgress p)
    {
        _frames.WithLabels(stream).IncTo(p.FramesDone);
        _dropped.WithLabels(stream).IncTo(p.Dropped);
        _fps.WithLabels(stream).Set(p.Fps);
        _people.WithLabels(stream).Set(p.People);
        _reconnects.WithLabels(stream).IncTo(p.Gaps);
        _latency.WithLabels(stream).Observe(p.Latency.TotalSeconds);
        foreach (var stage in p.Stages) _busy.WithLabels(stream, stage.Name).IncTo(stage.Busy.TotalSeconds);
        var h = _health.GetOrAdd(stream, _ => new Health());
        Interlocked.Exchange(ref h.Frames, p.FramesDone);
        Interlocked.Exchange(ref h.LastFrameAt, Stopwatch.GetTimestamp());
        if (h.State == "starting") h.State = "running";
    }

    /// <summary>The stream ended: done, stopped, interrupted or failed (with what went wrong).</summary>
    public void Ended(string stream, string state, string? problem = null)
    {
        var h = _health.GetOrAdd(stream, _ => new Health());
        h.Problem = problem is null ? null : Secrets.Redact(problem);
        h.State = state;
        if (state == "failed") _failed.WithLabels(stream).Set(1);
    }

    /// <summary>
    /// /healthz: <c>{"status":"ok"|"failed","streams":[{"name","state","frames","seconds_since_frame","problem"}]}</c>;
    /// 503 when there are streams and every one has failed (nothing left to watch), else 200.
    /// </summary>
    internal (int Status, string Json) Healthz()
    {
        var streams = _health.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        bool allFailed = streams.Count > 0 && streams.All(kv => kv.Value.State == "failed");
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("status", allFailed ? "failed" : "ok");
            w.WriteStartArray("streams");
            foreach (var (name, h) in streams)
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteString("state", h.State);
                w.WriteNumber("frames", Interlocked.Read(ref h.Frames));
                if (Interlocked.Read(ref h.LastFrameAt) is > 0 and var at) w.WriteNumber("seconds_since_frame", Math.Round(Stopwatch.GetElapsedTime(at).TotalSeconds, 1));
                else w.WriteNull("seconds_since_frame");
                if (h.Problem is { } problem) w.WriteString("problem", problem);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return (allFailed ? 503 : 200, Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private async Task ServeAsync()
    {
        while (!_closing.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var path = context.Request.Url?.AbsolutePath.TrimEnd('/') ?? "";
            if (path == "/metrics")
            {
                response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                using var text = new MemoryStream();
                await _registry.CollectAndExportAsTextAsync(text, _closing.Token).ConfigureAwait(false);
                text.Position = 0;
                await text.CopyToAsync(response.OutputStream, _closing.Token).ConfigureAwait(false);
            }
            else if (path == "/healthz")
            {
                var (status, json) = Healthz();
                response.StatusCode = status;
                response.ContentType = "application/json; charset=utf-8";
                var bytes = Encoding.UTF8.GetBytes(json);
                await response.OutputStream.WriteAsync(bytes, _closing.Token).ConfigureAwait(false);
            }
            else response.StatusCode = 404;
        }
        catch (Exception) { /* a client gone mid-answer, or the run ending: nothing to report */ }
        finally
        {
            try { response.Close(); } catch (Exception) { }
        }
    }

    public void Dispose()
    {
        _closing.Cancel();
        try { _listener.Stop(); _listener.Close(); } catch (ObjectDisposedException) { }
        try { _serving.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _closing.Dispose();
    }
}
