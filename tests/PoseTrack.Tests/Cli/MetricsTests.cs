using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using PoseTrack.Cli;
using PoseTrack.Pipeline;

namespace PoseTrack.Tests.Cli;

/// <summary>
/// --metrics-port: a multi-stream run serves Prometheus text with per-stream figures on 127.0.0.1 (checked with a
/// strict parser of the text exposition format), and /healthz with each stream's state.
/// </summary>
public sealed partial class MetricsTests
{
    [Fact]
    public async Task A_multi_stream_run_serves_per_stream_metrics_in_prometheus_text_and_its_health()
    {
        var dir = TestData.TempDir("metrics");
        var sample = Path.Combine(TestData.RepoRoot, "samples", "data", "vtest_10s.mp4");
        int port = FreePort();
        using var p = CliProcess.Start(dir, "--input", sample, "--input", sample, "--json", "{name}.jsonl", "--max-frames", "100",
            "--metrics-port", port.ToString(CultureInfo.InvariantCulture), "-q");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        List<Sample>? seen = null;
        (HttpStatusCode Status, string Body)? health = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        while (DateTime.UtcNow < deadline && !p.HasExited)
        {
            try
            {
                var samples = Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/metrics"));
                if (ValueOrNone(samples, "posetrack_frames_total", "vtest_10s") >= 2 && ValueOrNone(samples, "posetrack_frames_total", "vtest_10s-2") >= 2)
                {
                    seen = samples;
                    using var h = await http.GetAsync($"http://127.0.0.1:{port}/healthz");
                    health = (h.StatusCode, await h.Content.ReadAsStringAsync());
                    break;
                }
            }
            catch (HttpRequestException) { /* not listening yet */ }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        bool exitedEarly = p.HasExited;
        p.Kill(entireProcessTree: true);
        await p.WaitForExitAsync();
        // A run that ended before serving metrics says why (it failed once in a full run on a loaded machine).
        Assert.True(seen is not null, $"no metrics with both streams past frame 2 (exited early: {exitedEarly}, exit code {p.ExitCode}): "
            + await p.StandardError.ReadToEndAsync() + await p.StandardOutput.ReadToEndAsync());
        Assert.True(Value(seen!, "posetrack_fps", "vtest_10s") > 0);
        Assert.Equal(0, Value(seen!, "posetrack_dropped_frames_total", "vtest_10s-2"));
        Assert.Equal(0, Value(seen!, "posetrack_reconnects_total", "vtest_10s"));
        // Latency: a histogram with one observation per frame written, in seconds.
        Assert.True(Value(seen!, "posetrack_latency_seconds_count", "vtest_10s") >= 2);
        Assert.True(Value(seen!, "posetrack_latency_seconds_sum", "vtest_10s") > 0);
        // Stage busy time: every stage of each stream, the detector and the pose model working for real.
        foreach (var stream in new[] { "vtest_10s", "vtest_10s-2" })
        {
            var stages = seen!.Where(s => s.Name == "posetrack_stage_busy_seconds_total" && s.Labels["stream"] == stream).ToDictionary(s => s.Labels["stage"], s => s.Value);
            Assert.Equal(["detect", "pose", "render", "sinks", "source", "track"], stages.Keys.Order());
            Assert.True(stages["detect"] > 0 && stages["pose"] > 0, string.Join(", ", stages));
        }

        Assert.NotNull(health);
        Assert.Equal(HttpStatusCode.OK, health!.Value.Status);
        using var json = JsonDocument.Parse(health.Value.Body);
        Assert.Equal("ok", json.RootElement.GetProperty("status").GetString());
        var streams = json.RootElement.GetProperty("streams").EnumerateArray().ToList();
        Assert.Equal(["vtest_10s", "vtest_10s-2"], streams.Select(s => s.GetProperty("name").GetString()));
        Assert.All(streams, s => Assert.Equal("running", s.GetProperty("state").GetString()));
        Assert.All(streams, s => Assert.True(s.GetProperty("frames").GetInt64() >= 2));
    }

    /// <summary>/healthz answers 200 while any stream can still deliver, 503 once every stream has failed; other paths 404.</summary>
    [Fact]
    public async Task Healthz_is_503_only_when_every_stream_failed()
    {
        int port = FreePort();
        using var metrics = StreamMetrics.Start("127.0.0.1", port);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        async Task<(HttpStatusCode, JsonElement)> Health()
        {
            using var r = await http.GetAsync($"http://127.0.0.1:{port}/healthz");
            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            return (r.StatusCode, doc.RootElement.Clone());
        }

        metrics.Starting("front");
        metrics.Starting("back");
        var (status, body) = await Health();
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.All(body.GetProperty("streams").EnumerateArray(), s => Assert.Equal("starting", s.GetProperty("state").GetString()));

        var stages = new[] { new StageSummary("detect", 3, TimeSpan.FromMilliseconds(30)), new StageSummary("pose", 3, TimeSpan.FromMilliseconds(12)) };
        metrics.Report("front", new PipelineProgress(3, null, 9.5, 2, 1) { Latency = TimeSpan.FromMilliseconds(80), Gaps = 1, Stages = stages });
        metrics.Ended("back", "failed", "stream rtsp://user:secret@cam/live cannot be opened after 3 attempts");
        (status, body) = await Health();
        Assert.Equal(HttpStatusCode.OK, status);
        var front = body.GetProperty("streams").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "front");
        Assert.Equal("running", front.GetProperty("state").GetString());
        Assert.Equal(3, front.GetProperty("frames").GetInt64());
        var back = body.GetProperty("streams").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "back");
        Assert.Equal("failed", back.GetProperty("state").GetString());
        Assert.DoesNotContain("secret", back.GetProperty("problem").GetString());

        var samples = Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/metrics"));
        Assert.Equal(1, Value(samples, "posetrack_reconnects_total", "front"));
        Assert.Equal(1, Value(samples, "posetrack_dropped_frames_total", "front"));
        Assert.Equal(1, Value(samples, "posetrack_stream_failed", "back"));
        Assert.Equal(0.080, Value(samples, "posetrack_latency_seconds_sum", "front"), 6);
        Assert.Equal(0.030, samples.Single(s => s.Name == "posetrack_stage_busy_seconds_total" && s.Labels["stage"] == "detect").Value, 6);
        // The 0.08 s frame is counted in the 0.08 bucket and above, not below.
        var buckets = samples.Where(s => s.Name == "posetrack_latency_seconds_bucket" && s.Labels["stream"] == "front")
            .ToDictionary(s => Le(s.Labels["le"]), s => s.Value);
        Assert.Equal(0, buckets[0.04]);
        Assert.Equal(1, buckets[0.08]);
        Assert.Equal(1, buckets[double.PositiveInfinity]);

        metrics.Ended("front", "failed", "broken");
        (status, body) = await Health();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("failed", body.GetProperty("status").GetString());

        using var other = await http.GetAsync($"http://127.0.0.1:{port}/other");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    private sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    private static double Value(List<Sample> samples, string name, string stream) =>
        samples.Single(s => s.Name == name && s.Labels.TryGetValue("stream", out var v) && v == stream && !s.Labels.ContainsKey("le")).Value;

    /// <summary>The sample's value, or -1 while the stream has none yet (before its first frame).</summary>
    private static double ValueOrNone(List<Sample> samples, string name, string stream) =>
        samples.SingleOrDefault(s => s.Name == name && s.Labels.TryGetValue("stream", out var v) && v == stream)?.Value ?? -1;

    /// <summary>
    /// A strict reader of the Prometheus text exposition format (version 0.0.4): '#' lines are HELP or TYPE (at most one
    /// TYPE per family, before its samples), every other line <c>name{label="value",…} number [timestamp]</c>; a
    /// histogram's buckets rise with <c>le</c> and end at +Inf equal to its _count. Anything else fails the test.
    /// </summary>
    private static List<Sample> Parse(string text)
    {
        var result = new List<Sample>();
        var types = new Dictionary<string, string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.Equal(4, parts.Length);
                Assert.Contains(parts[3], new[] { "counter", "gauge", "histogram", "summary", "untyped" });
                Assert.True(types.TryAdd(parts[2], parts[3]), $"second TYPE line for {parts[2]}");
                Assert.DoesNotContain(result, s => Family(s.Name, types) == parts[2]);
                continue;
            }
            if (line.StartsWith('#')) continue;   // HELP, or a comment
            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"not a Prometheus sample line: {line}");
            var name = m.Groups["name"].Value;
            Assert.True(Family(name, types) is not null, $"{name} has no # TYPE line");
            var labelText = m.Groups["labels"].Value;
            var pairs = LabelPair().Matches(labelText);
            Assert.Equal(labelText, string.Concat(pairs.Select(l => l.Value)));   // nothing between or around the pairs
            var labels = pairs.ToDictionary(l => l.Groups[1].Value, l => Regex.Unescape(l.Groups[2].Value));
            var value = m.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            result.Add(new Sample(name, labels, value));
        }
        // Histograms: cumulative buckets, +Inf = _count.
        foreach (var family in types.Where(t => t.Value == "histogram").Select(t => t.Key))
            foreach (var series in result.Where(s => s.Name == family + "_bucket").GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key))))
            {
                var buckets = series.Select(s => (Le: Le(s.Labels["le"]), s.Value)).ToList();
                Assert.Equal(buckets.OrderBy(b => b.Le).Select(b => b.Value), buckets.Select(b => b.Value));
                Assert.True(buckets.Zip(buckets.Skip(1)).All(p => p.Second.Value >= p.First.Value), $"{family} buckets not cumulative");
                Assert.True(double.IsPositiveInfinity(buckets[^1].Le), $"{family} has no +Inf bucket");
                var count = result.Single(s => s.Name == family + "_count" && string.Join(",", s.Labels.OrderBy(l => l.Key)) == series.Key);
                Assert.Equal(count.Value, buckets[^1].Value);
            }
        return result;
    }

    private static double Le(string text) => text == "+Inf" ? double.PositiveInfinity : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>The family a sample belongs to: its own name, or a histogram/summary's name before _bucket, _sum, _count.</summary>
    private static string? Family(string name, Dictionary<string, string> types)
    {
        if (types.ContainsKey(name)) return name;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
            if (name.EndsWith(suffix, StringComparison.Ordinal) && types.TryGetValue(name[..^suffix.Length], out var t) && t is "histogram" or "summary")
                return name[..^suffix.Length];
        return null;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)( -?\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)"",?")]
    private static partial Regex LabelPair();

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
