using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace PoseTrack.Tests.Cli;

/// <summary>--metrics-port: a multi-stream run serves Prometheus text with per-stream figures on 127.0.0.1.</summary>
public sealed partial class MetricsTests
{
    [Fact]
    public async Task A_multi_stream_run_serves_per_stream_metrics_in_prometheus_text()
    {
        var dir = TestData.TempDir("metrics");
        var sample = Path.Combine(TestData.RepoRoot, "samples", "data", "vtest_10s.mp4");
        int port = FreePort();
        using var p = CliProcess.Start(dir, "--input", sample, "--input", sample, "--json", "{name}.jsonl", "--max-frames", "100",
            "--metrics-port", port.ToString(CultureInfo.InvariantCulture), "-q");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Dictionary<(string Name, string Stream), double>? seen = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        while (DateTime.UtcNow < deadline && !p.HasExited)
        {
            try
            {
                var text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
                var samples = Parse(text);
                if (samples.TryGetValue(("posetrack_frames_total", "vtest_10s"), out var a) && a >= 1
                    && samples.TryGetValue(("posetrack_frames_total", "vtest_10s-2"), out var b) && b >= 1)
                { seen = samples; break; }
            }
            catch (HttpRequestException) { /* not listening yet */ }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        p.Kill(entireProcessTree: true);
        await p.WaitForExitAsync();
        Assert.NotNull(seen);
        Assert.True(seen![("posetrack_fps", "vtest_10s")] > 0);
        Assert.Equal(0, seen[("posetrack_dropped_frames_total", "vtest_10s-2")]);
    }

    /// <summary>
    /// The Prometheus text exposition format (version 0.0.4): '#' lines are HELP/TYPE, every other line
    /// <c>name{label="value",…} number [timestamp]</c>. Returns the samples labelled by stream.
    /// </summary>
    private static Dictionary<(string, string), double> Parse(string text)
    {
        var result = new Dictionary<(string, string), double>();
        var types = new Dictionary<string, string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.Contains(parts[3], new[] { "counter", "gauge", "histogram", "summary", "untyped" });
                types[parts[2]] = parts[3];
                continue;
            }
            if (line.StartsWith('#')) continue;
            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"not a Prometheus sample line: {line}");
            var name = m.Groups["name"].Value;
            Assert.True(types.ContainsKey(name) || types.Keys.Any(t => name.StartsWith(t + "_", StringComparison.Ordinal)), $"{name} has no # TYPE line");
            var labels = LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value);
            var value = m.Groups["value"].Value switch { "+Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, "NaN" => double.NaN, var v => double.Parse(v, CultureInfo.InvariantCulture) };
            if (labels.TryGetValue("stream", out var stream)) result[(name, stream)] = value;
        }
        return result;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)( -?\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
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
