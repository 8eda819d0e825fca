using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using PoseTrack.Jobs;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Jobs;

/// <summary>
/// Workers on a real JetStream broker: Debian's <c>nats-server -js</c> on a free port of 127.0.0.1, with a password,
/// started and stopped by each test. Without nats-server (or node, or ../shared) a test says so and passes, except
/// under CI (env CI set), where it fails: scripts/setup.sh installs nats-server.
/// </summary>
public sealed class JobQueueTests(ITestOutputHelper output)
{
    private const string Password = "pw-9f2c-secret";

    /// <summary>
    /// The issue's "done when": three uploaded videos, two workers, one worker SIGKILLed four seconds into a job. The job
    /// is redelivered and finished by the other worker; all three end done, once each, each result equal to a local run;
    /// a second submit of an id changes nothing; the password appears in no output.
    /// </summary>
    [Fact]
    public void Two_workers_one_killed_all_jobs_done_once_and_equal_to_local_runs()
    {
        if (!Have()) return;
        var dir = TestData.TempDir("jobs");
        using var server = NatsServer.Start(Path.Combine(dir, "store"));
        var url = server.Url;
        var videos = new[]
        {
            ("a", Path.Combine(TestData.RepoRoot, "samples", "data", "vtest_10s.mp4")),
            ("b", TestData.Shared("data", "video", "mmpose_demo.mp4")),
            ("c", TestData.Shared("data", "video", "vtest_10s.mp4")),
        };
        var everything = new StringBuilder();
        CliProcess.Result Cli(params string[] args)
        {
            var r = CliProcess.Run(dir, TimeSpan.FromMinutes(3), args);
            everything.AppendLine(r.Stdout).AppendLine(r.Stderr);
            return r;
        }
        // Job a is the whole clip (100 frames), so the worker running it is killed in the middle even on a fast machine.
        static string Frames(string id) => id == "a" ? "100" : "30";
        void Submit(string id, string file)
        {
            var r = Cli("submit", "--nats", url, "--input", file, "--upload", "--job-id", id, "--max-frames", Frames(id));
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Contains($"job={id}", r.Stdout);
        }
        Submit("a", videos[0].Item2);
        using var first = Worker.Start(dir, url, "w1");
        first.WaitForLine("job a: attempt 1: running", TimeSpan.FromMinutes(2));
        var runningFor = Stopwatch.StartNew();
        const string killedId = "a";
        Submit("b", videos[1].Item2);
        Submit("c", videos[2].Item2);
        var again = Cli("submit", "--nats", url, "--input", videos[1].Item2, "--upload", "--job-id", "b", "--max-frames", "30");
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("existing=true", again.Stdout);
        using var second = Worker.Start(dir, url, "w2", "--concurrency", "2");
        if (TimeSpan.FromSeconds(4) - runningFor.Elapsed is { Ticks: > 0 } left) Thread.Sleep(left);
        first.Process.Kill(); // SIGKILL, the process only: its job's child must exit by itself
        var killedAt = Stopwatch.StartNew();
        second.WaitForLine($"job {killedId}: attempt 2: running", TimeSpan.FromMinutes(2));
        output.WriteLine($"redelivered after the kill in {killedAt.Elapsed.TotalSeconds:F1} s");

        var wait = Cli("jobs", "wait", "--nats", url, "--timeout", "240");
        Assert.True(wait.ExitCode == 0, wait.Stdout + wait.Stderr + second.Stderr);
        var list = Cli("jobs", "list", "--nats", url, "--json");
        using var doc = JsonDocument.Parse(list.Stdout);
        var jobs = doc.RootElement.EnumerateArray().ToDictionary(j => j.GetProperty("id").GetString()!);
        Assert.Equal(["a", "b", "c"], jobs.Keys.Order());
        Assert.All(jobs.Values, j => Assert.Equal("done", j.GetProperty("state").GetString()));
        Assert.Equal("w2", jobs[killedId].GetProperty("worker").GetString());
        Assert.Equal(2, jobs[killedId].GetProperty("attempts").GetInt32());

        // Run once each: one run line per job, except the killed one (its first attempt died with the worker).
        var runs = first.Stderr + second.Stderr;
        foreach (var (id, _) in videos)
            Assert.Equal(id == killedId ? 2 : 1, runs.Split($"job {id}: attempt ").Length - 1);

        foreach (var (id, file) in videos)
        {
            var got = Path.Combine(dir, "got-" + id);
            var get = Cli("jobs", "get", id, "--nats", url, "--output-dir", got);
            Assert.True(get.ExitCode == 0, get.Stderr);
            var results = Directory.GetFiles(got);
            Assert.Single(results);
            var local = Path.Combine(dir, $"local-{id}.jsonl");
            var run = Cli("--input", file, "--json", local, "--max-frames", Frames(id), "--quiet");
            Assert.True(run.ExitCode == 0, run.Stderr);
            var same = CliProcess.RunProgram("node", [TestData.Shared("tools", "same-results.js"), local, results[0]], TimeSpan.FromMinutes(1));
            Assert.True(same.ExitCode == 0, same.Stdout + same.Stderr);
        }
        second.Stop();
        everything.Append(first.Stdout).Append(first.Stderr).Append(second.Stdout).Append(second.Stderr);
        Assert.DoesNotContain(Password, everything.ToString());
        Assert.Contains("u:***@", everything.ToString());
        Assert.DoesNotContain("job a", first.Stderr.Split("job a: attempt 1: running")[1]); // killed before it finished
    }

    /// <summary>
    /// A broken input fails after MaxDeliver attempts with its error, the good job beside it is done, and a broker
    /// restart in the middle of the good job does not stop the worker: it reconnects and finishes.
    /// </summary>
    [Fact]
    public void Broken_input_fails_after_max_deliver_and_a_broker_restart_is_survived()
    {
        if (!Have()) return;
        var dir = TestData.TempDir("jobs");
        var store = Path.Combine(dir, "store");
        var server = NatsServer.Start(store);
        try
        {
            var broken = Path.Combine(dir, "broken.mp4");
            File.WriteAllText(broken, "not a video at all");
            var good = Path.Combine(TestData.RepoRoot, "samples", "data", "vtest_10s.mp4");
            Assert.Equal(0, CliProcess.Run(dir, "submit", "--nats", server.Url, "--input", good, "--upload", "--job-id", "good", "--max-frames", "30").ExitCode);
            Assert.Equal(0, CliProcess.Run(dir, "submit", "--nats", server.Url, "--input", broken, "--upload", "--job-id", "bad").ExitCode);
            using var worker = Worker.Start(dir, server.Url, "w1");
            worker.WaitForLine("job good: attempt 1: running", TimeSpan.FromMinutes(2));
            server = server.Restart();
            worker.WaitForLine("job good: done", TimeSpan.FromMinutes(3));
            var wait = CliProcess.Run(dir, TimeSpan.FromMinutes(4), "jobs", "wait", "--nats", server.Url, "--timeout", "200");
            Assert.True(wait.ExitCode == 2, wait.Stdout + wait.Stderr + worker.Stderr);
            Assert.Contains("done=1 failed=1", wait.Stdout);
            var list = CliProcess.Run(dir, "jobs", "list", "--nats", server.Url, "--json");
            using var doc = JsonDocument.Parse(list.Stdout);
            var jobs = doc.RootElement.EnumerateArray().ToDictionary(j => j.GetProperty("id").GetString()!);
            Assert.Equal("done", jobs["good"].GetProperty("state").GetString());
            Assert.Equal("failed", jobs["bad"].GetProperty("state").GetString());
            Assert.Equal(new JobQueueOptions().MaxDeliver, jobs["bad"].GetProperty("attempts").GetInt32());
            Assert.Contains("posetrack: error:", jobs["bad"].GetProperty("error").GetString());
            worker.Stop();
            Assert.DoesNotContain(Password, worker.Stdout + worker.Stderr + wait.Stdout + wait.Stderr + list.Stdout);
        }
        finally { server.Dispose(); }
    }

    /// <summary>
    /// SIGTERM: the worker takes no new job, finishes the running one and exits 0. A second signal hands the running
    /// job back at once (exit 130) and another worker does it. A wrong password is one line, exit 2, never echoed.
    /// </summary>
    [Fact]
    public void Sigterm_finishes_the_job_and_a_second_signal_hands_it_back()
    {
        if (!Have()) return;
        var dir = TestData.TempDir("jobs");
        using var server = NatsServer.Start(Path.Combine(dir, "store"));
        var wrong = CliProcess.Run(dir, "jobs", "list", "--nats", server.Url.Replace(Password, "not-" + Password));
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("Authorization Violation", wrong.Stderr);
        Assert.DoesNotContain(Password, wrong.Stdout + wrong.Stderr);

        var video = Path.Combine(TestData.RepoRoot, "samples", "data", "vtest_10s.mp4");
        foreach (var id in new[] { "one", "two" })
            Assert.Equal(0, CliProcess.Run(dir, "submit", "--nats", server.Url, "--input", video, "--upload", "--job-id", id, "--max-frames", "30").ExitCode);

        using (var w1 = Worker.Start(dir, server.Url, "w1"))
        {
            w1.WaitForLine("job one: attempt 1: running", TimeSpan.FromMinutes(2));
            w1.Stop(); // SIGTERM, then exit 0 once job one is done
            Assert.Contains("job one: done", w1.Stderr);
            Assert.DoesNotContain("job two", w1.Stderr);
        }
        using (var w2 = Worker.Start(dir, server.Url, "w2"))
        {
            w2.WaitForLine("job two: attempt 1: running", TimeSpan.FromMinutes(2));
            w2.Signal("TERM");
            w2.WaitForLine("stopping", TimeSpan.FromMinutes(1));
            w2.Signal("TERM");
            Assert.True(w2.Process.WaitForExit(60_000), "no exit after the second signal");
            w2.Process.WaitForExit();
            Assert.Equal(130, w2.Process.ExitCode);
            Assert.Contains("job two: handed back", w2.Stderr);
        }
        using var w3 = Worker.Start(dir, server.Url, "w3");
        // Handed back with a nak, not left to the ack deadline: the next worker gets it as attempt 2.
        w3.WaitForLine("job two: attempt 2: running", TimeSpan.FromMinutes(2));
        var wait = CliProcess.Run(dir, TimeSpan.FromMinutes(3), "jobs", "wait", "--nats", server.Url, "--timeout", "150");
        Assert.True(wait.ExitCode == 0, wait.Stdout + wait.Stderr + w3.Stderr);
        w3.Stop();
    }

    /// <summary>
    /// A worker killed on a job's last allowed attempt: the broker delivers it no more and announces it; the other
    /// worker records it failed, so <c>jobs wait</c> ends (exit 2) instead of waiting for ever.
    /// </summary>
    [Fact]
    public void A_job_lost_on_its_last_attempt_ends_failed()
    {
        if (!Have()) return;
        var dir = TestData.TempDir("jobs");
        using var server = NatsServer.Start(Path.Combine(dir, "store"));
        var video = Path.Combine(TestData.RepoRoot, "samples", "data", "vtest_10s.mp4");
        Assert.Equal(0, CliProcess.Run(dir, "submit", "--nats", server.Url, "--input", video, "--upload", "--job-id", "last", "--max-frames", "60").ExitCode);
        using var w1 = Worker.Start(dir, server.Url, "w1", "--max-deliver", "1");
        w1.WaitForLine("job last: attempt 1: running", TimeSpan.FromMinutes(2));
        using var w2 = Worker.Start(dir, server.Url, "w2", "--max-deliver", "1");
        w2.WaitForLine("connected", TimeSpan.FromMinutes(1));
        w1.Process.Kill();
        w2.WaitForLine("job last: failed", TimeSpan.FromMinutes(2));
        var wait = CliProcess.Run(dir, TimeSpan.FromMinutes(2), "jobs", "wait", "--nats", server.Url, "--timeout", "60");
        Assert.True(wait.ExitCode == 2, wait.Stdout + wait.Stderr);
        Assert.Contains("done=0 failed=1", wait.Stdout);
        Assert.Contains("did not finish", wait.Stderr);
        Assert.DoesNotContain("attempt 2", w2.Stderr);
        w2.Stop();
    }

    /// <summary>A stream URL input with a password: failed with its error, the password in no state, list or log line.</summary>
    [Fact]
    public void A_url_inputs_password_is_in_no_state_list_or_log()
    {
        if (!Have()) return;
        var dir = TestData.TempDir("jobs");
        using var server = NatsServer.Start(Path.Combine(dir, "store"));
        const string camPassword = "cam-pw-77aa";
        var sub = CliProcess.Run(dir, "submit", "--nats", server.Url, "--input", $"rtsp://cam:{camPassword}@127.0.0.1:1/live", "--job-id", "cam",
            "--reconnect", "0", "--stall-timeout", "2");
        Assert.True(sub.ExitCode == 0, sub.Stderr);
        using var w = Worker.Start(dir, server.Url, "w1", "--max-deliver", "1");
        var wait = CliProcess.Run(dir, TimeSpan.FromMinutes(2), "jobs", "wait", "--nats", server.Url, "--timeout", "90");
        Assert.True(wait.ExitCode == 2, wait.Stdout + wait.Stderr + w.Stderr);
        var list = CliProcess.Run(dir, "jobs", "list", "--nats", server.Url, "--json");
        Assert.Contains("cam:***@", list.Stdout);
        w.Stop();
        var all = sub.Stdout + sub.Stderr + wait.Stdout + wait.Stderr + list.Stdout + list.Stderr + w.Stdout + w.Stderr;
        Assert.DoesNotContain(camPassword, all);
        Assert.DoesNotContain(Password, all);
    }

    [Fact]
    public void Broker_url_credentials_go_to_auth_options_not_to_the_address()
    {
        var opts = JobBroker.BuildOptions("nats://alice:p%40ss@127.0.0.1:4222", null);
        Assert.Equal("alice", opts.AuthOpts.Username);
        Assert.Equal("p@ss", opts.AuthOpts.Password);
        Assert.DoesNotContain("p@ss", opts.Url);
        Assert.DoesNotContain("alice", opts.Url);
        Assert.Throws<PoseTrack.Core.PoseTrackException>(() => JobBroker.BuildOptions("http://127.0.0.1", null));
    }

    [Fact]
    public void Consumer_backs_off_from_the_ack_wait_and_stops_at_max_deliver()
    {
        var c = JobBroker.ConsumerConfigFor(new JobQueueOptions { AckWait = TimeSpan.FromSeconds(10), MaxDeliver = 3 });
        Assert.Equal(3, c.MaxDeliver);
        Assert.Equal([TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20)], c.Backoff!);
        Assert.Equal(TimeSpan.FromSeconds(10), c.AckWait);
        Assert.Throws<PoseTrack.Core.PoseTrackException>(() => JobBroker.CheckId("a/b"));
        var state = new JobState("x", JobState.Running, 2, "w", "in.mp4", null, ["k"], DateTimeOffset.UnixEpoch);
        Assert.Equal(state with { Outputs = state.Outputs }, JobJson.Decode<JobState>(JobJson.Encode(state)) with { Outputs = state.Outputs });
    }

    private bool Have()
    {
        var missing = new List<string>();
        if (NatsServer.Program is null) missing.Add("nats-server");
        if (FindOnPath("node") is null) missing.Add("node");
        if (missing.Count == 0) return true;
        var message = $"missing {string.Join(", ", missing)} (scripts/setup.sh installs nats-server)";
        Assert.True(Environment.GetEnvironmentVariable("CI") is null, $"CI is set but this test's tools are missing: {message}");
        output.WriteLine("not checked: " + message);
        return false;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin")
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>A loopback <c>nats-server -js</c> with user u and <see cref="Password"/>; Dispose kills it.</summary>
    private sealed class NatsServer : IDisposable
    {
        public static string? Program => FindOnPath("nats-server");
        private readonly Process _p;
        private readonly string _store;
        public int Port { get; }
        public string Url => $"nats://u:{Password}@127.0.0.1:{Port}";

        private NatsServer(Process p, int port, string store) { _p = p; Port = port; _store = store; }

        public static NatsServer Start(string store, int? port = null)
        {
            int p = port ?? FreePort();
            var psi = new ProcessStartInfo(Program!, ["-js", "-a", "127.0.0.1", "-p", p.ToString(), "-sd", store, "--user", "u", "--pass", Password])
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            var process = Process.Start(psi)!;
            process.BeginOutputReadLine(); process.BeginErrorReadLine();
            var sw = Stopwatch.StartNew();
            while (true)
            {
                try { using var c = new TcpClient(); c.Connect(IPAddress.Loopback, p); break; }
                catch (SocketException) when (sw.Elapsed < TimeSpan.FromSeconds(20) && !process.HasExited) { Thread.Sleep(100); }
            }
            return new NatsServer(process, p, store);
        }

        /// <summary>Kills the broker and starts it again on the same port and store (streams and buckets survive).</summary>
        public NatsServer Restart()
        {
            Dispose();
            Thread.Sleep(TimeSpan.FromSeconds(2));
            return Start(_store, Port);
        }

        public void Dispose()
        {
            try { if (!_p.HasExited) { _p.Kill(); _p.WaitForExit(10_000); } } catch (InvalidOperationException) { }
            _p.Dispose();
        }

        private static int FreePort()
        {
            using var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            return ((IPEndPoint)l.LocalEndpoint).Port;
        }
    }

    /// <summary>A <c>posetrack worker</c> with its output collected; killed at the end if still running.</summary>
    private sealed class Worker : IDisposable
    {
        private readonly StringBuilder _out = new(), _err = new();
        public Process Process { get; }
        public string Stdout { get { lock (_out) return _out.ToString(); } }
        public string Stderr { get { lock (_err) return _err.ToString(); } }

        private Worker(Process p)
        {
            Process = p;
            p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.AppendLine(e.Data); };
            p.BeginOutputReadLine(); p.BeginErrorReadLine();
        }

        public static Worker Start(string dir, string url, string name, params string[] extra) =>
            new(CliProcess.Start(dir, ["worker", "--nats", url, "--name", name, "--ack-wait", "10", .. extra]));

        /// <summary>The first stderr line containing <paramref name="text"/>, waiting for it.</summary>
        public string WaitForLine(string text, TimeSpan within)
        {
            var sw = Stopwatch.StartNew();
            while (true)
            {
                var line = Stderr.Split('\n').FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
                if (line is not null) return line;
                if (sw.Elapsed > within || Process.HasExited) throw new TimeoutException($"no '{text}' from the worker:\n{Stderr}");
                Thread.Sleep(100);
            }
        }

        public void Signal(string name)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", $"-{name} {Process.Id}") { UseShellExecute = false })!;
            kill.WaitForExit();
        }

        /// <summary>SIGTERM: the worker finishes its jobs and exits 0.</summary>
        public void Stop()
        {
            if (Process.HasExited) return;
            Signal("TERM");
            Assert.True(Process.WaitForExit(120_000), "the worker did not stop after SIGTERM");
            Process.WaitForExit();
            Assert.Equal(0, Process.ExitCode);
        }

        public void Dispose()
        {
            try { if (!Process.HasExited) Process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            Process.WaitForExit(10_000);
            Process.Dispose();
        }
    }
}
