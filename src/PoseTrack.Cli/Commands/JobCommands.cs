using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using PoseTrack.Core;
using PoseTrack.Jobs;

namespace PoseTrack.Cli.Commands;

/// <summary>
/// Jobs on a NATS JetStream broker: <c>posetrack worker</c> runs them, <c>posetrack submit</c> queues one,
/// <c>posetrack jobs list|wait|get</c> follows them. A job runs exactly what a local
/// <c>posetrack --input VIDEO --json NAME.jsonl [run options]</c> runs (the worker starts that command as a child).
/// </summary>
internal static class JobCommands
{
    private static Option<string> NatsOption() => new("--nats")
    {
        Description = "Broker: nats://[user:password@]host:port (tls://… for TLS); or env POSETRACK_NATS",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("POSETRACK_NATS") ?? "nats://127.0.0.1:4222",
    };

    private static Option<string?> CredsOption() => new("--nats-creds") { Description = "NATS credentials file (JWT + NKey seed)" };

    /// <summary>Run options a job may not set: the worker chooses the input and the outputs.</summary>
    private static readonly string[] Reserved = ["--input", "-i", "--camera", "--json", "--output", "-o", "--mot", "--csv", "--posetrack", "--show"];

    public static IEnumerable<Command> Create() => [Worker(), Submit(), Jobs()];

    private static Command Worker()
    {
        var cmd = new Command("worker", "Run jobs from a NATS JetStream broker (any other options are run options for every job, e.g. --device cuda)")
        { TreatUnmatchedTokensAsErrors = false };
        var nats = NatsOption(); var creds = CredsOption();
        var concurrency = new Option<int>("--concurrency") { Description = "Jobs run at once", DefaultValueFactory = _ => 1 };
        var ackWait = new Option<double>("--ack-wait") { Description = "Seconds without an ack (or progress ack) before a job goes to another worker", DefaultValueFactory = _ => new JobQueueOptions().AckWait.TotalSeconds };
        var maxDeliver = new Option<int>("--max-deliver") { Description = "Attempts before a job is failed (the same on every worker: the consumer is shared)", DefaultValueFactory = _ => new JobQueueOptions().MaxDeliver };
        var name = new Option<string?>("--name") { Description = "Worker name in job states (default host:pid)" };
        cmd.Options.Add(nats); cmd.Options.Add(creds); cmd.Options.Add(concurrency); cmd.Options.Add(ackWait); cmd.Options.Add(maxDeliver); cmd.Options.Add(name);
        cmd.SetAction((r, ct) => CliErrors.GuardAsync(ct, async _ =>
        {
            var runArgs = RunArgs(r.UnmatchedTokens);
            int slots = r.GetValue(concurrency) is var c and >= 1 and <= 64 ? c : throw new PoseTrackException("--concurrency must be 1..64");
            var queue = new JobQueueOptions
            {
                AckWait = r.GetValue(ackWait) is var a and >= 1 and <= 3600 ? TimeSpan.FromSeconds(a) : throw new PoseTrackException("--ack-wait must be 1..3600 s"),
                MaxDeliver = r.GetValue(maxDeliver) is var m and >= 1 and <= 100 ? m : throw new PoseTrackException("--max-deliver must be 1..100"),
            };
            var workerName = r.GetValue(name) ?? $"{Environment.MachineName}:{Environment.ProcessId}";
            using var stopPulling = new CancellationTokenSource();
            using var abort = new CancellationTokenSource();
            int signals = 0;
            void OnSignal()
            {
                if (Interlocked.Increment(ref signals) == 1)
                {
                    Console.Error.WriteLine("posetrack worker: stopping: finishing the running job(s) (signal again to hand them back now)");
                    stopPulling.Cancel();
                }
                else abort.Cancel();
            }
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; OnSignal(); };
            Console.CancelKeyPress += onCancel;
            using var term = Interrupts.OnTerminate(OnSignal);
            try
            {
                await using var broker = await JobBroker.ConnectAsync(r.GetValue(nats)!, r.GetValue(creds), queue, stopPulling.Token).ConfigureAwait(false);
                Console.Error.WriteLine($"posetrack worker {workerName}: connected to {broker.DisplayUrl}; {slots} slot(s), ack wait {queue.AckWait.TotalSeconds:F0} s, max deliver {queue.MaxDeliver}");
                var worker = new JobWorker(broker, (job, input, dir, token) => RunChildAsync(job, input, dir, runArgs, token), workerName,
                    line => Console.Error.WriteLine($"posetrack worker {workerName}: {line}"));
                using var watching = new CancellationTokenSource();
                var lost = broker.WatchLostJobsAsync(line => Console.Error.WriteLine($"posetrack worker {workerName}: {line}"), watching.Token);
                await worker.RunAsync(slots, stopPulling.Token, abort.Token).ConfigureAwait(false);
                await watching.CancelAsync().ConfigureAwait(false);
                await lost.ConfigureAwait(false);
                Console.Error.WriteLine($"posetrack worker {workerName}: stopped");
                return abort.IsCancellationRequested ? CliErrors.Interrupted : CliErrors.Ok;
            }
            catch (OperationCanceledException) when (stopPulling.IsCancellationRequested) { return CliErrors.Interrupted; }
            finally { Console.CancelKeyPress -= onCancel; }
        }, native: false));
        return cmd;
    }

    /// <summary>Checks a job's run options against the main command's own parser: the same options a local run takes.</summary>
    private static string[] RunArgs(IReadOnlyList<string> tokens)
    {
        var args = tokens.ToArray();
        foreach (var a in args)
            if (Reserved.Contains(a.Split('=')[0]))
                throw new PoseTrackException($"{a}: a job's input and outputs are chosen by submit and the worker (use --input on submit, --video for the annotated video)");
        var root = new RootCommand();
        RunCommand.Configure(root);
        var parse = root.Parse(["--input", "x.mp4", .. args]);
        if (parse.Errors.Count > 0) throw new PoseTrackException("run options: " + ParseErrors.Describe(parse.Errors[0].Message));
        return args;
    }

    /// <summary>
    /// Runs the job as a child <c>posetrack</c> process, exactly a local run: <c>--input FILE --json DIR/NAME.jsonl
    /// [--output DIR/NAME.mp4] --quiet [worker run options] [job run options]</c>. The child's standard input is a
    /// pipe it watches: when the worker dies, even by SIGKILL, the pipe closes and the child exits (no orphan).
    /// </summary>
    private static async Task<JobRunResult> RunChildAsync(JobSpec job, string input, string dir, string[] workerArgs, CancellationToken abort)
    {
        var json = Path.Combine(dir, job.Name + ".jsonl");
        var args = new List<string> { "--input", input, "--json", json };
        if (job.Video) args.AddRange(["--output", Path.Combine(dir, job.Name + ".mp4")]);
        args.Add("--quiet");
        args.AddRange(workerArgs);
        args.AddRange(job.Args);
        var (program, prefix) = SelfCommand();
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            UseShellExecute = false, WorkingDirectory = dir,
        };
        foreach (var a in prefix.Concat(args)) psi.ArgumentList.Add(a);
        psi.Environment[ParentWatch.Variable] = "1";
        using var p = Process.Start(psi) ?? throw new PoseTrackException("cannot start posetrack for the job");
        var stderr = new StringBuilder();
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine(); p.BeginOutputReadLine();
        try { await p.WaitForExitAsync(abort).ConfigureAwait(false); }
        catch (OperationCanceledException)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await p.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        p.WaitForExit(); // drains the redirected streams
        string text; lock (stderr) text = stderr.ToString();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string? error = lines.LastOrDefault(l => l.StartsWith("posetrack: error:", StringComparison.Ordinal) || l.StartsWith("posetrack: internal error:", StringComparison.Ordinal))
            ?? lines.LastOrDefault();
        var outputs = p.ExitCode == 0 ? Directory.GetFiles(dir).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList() : [];
        return new JobRunResult(p.ExitCode, error is null ? null : Secrets.Redact(error), outputs);
    }

    /// <summary>This very command: the apphost, or <c>dotnet PoseTrack.Cli.dll</c> when run through the dotnet host.</summary>
    private static (string Program, string[] Prefix) SelfCommand()
    {
        var path = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(path) == "dotnet" ? (path, [typeof(JobCommands).Assembly.Location]) : (path, []);
    }

    private static Command Submit()
    {
        var cmd = new Command("submit", "Queue a job on a NATS JetStream broker (any other options are run options, e.g. --max-frames 300)")
        { TreatUnmatchedTokensAsErrors = false };
        var nats = NatsOption(); var creds = CredsOption();
        var input = new Option<string>("--input", "-i") { Description = "Video path or URL", Required = true };
        var upload = new Option<bool>("--upload") { Description = "Put the video into the broker's Object Store so a worker on any machine can run it" };
        var jobId = new Option<string?>("--job-id") { Description = "Job id (letters, digits, - and _); submitting an id again changes nothing" };
        var video = new Option<bool>("--video") { Description = "Also make the annotated video" };
        cmd.Options.Add(nats); cmd.Options.Add(creds); cmd.Options.Add(input); cmd.Options.Add(upload); cmd.Options.Add(jobId); cmd.Options.Add(video);
        cmd.SetAction((r, ct) => CliErrors.GuardAsync(ct, async _ =>
        {
            var runArgs = RunArgs(r.UnmatchedTokens);
            var id = r.GetValue(jobId) is { } given ? JobBroker.CheckId(given) : JobBroker.NewId();
            var path = r.GetValue(input)!;
            bool isUrl = path.Contains("://", StringComparison.Ordinal);
            if (r.GetValue(upload) && (isUrl || !File.Exists(path))) throw new PoseTrackException($"--upload needs a local file: {Secrets.Redact(path)}");
            var shown = isUrl ? path : Path.GetFullPath(path);
            var name = isUrl ? "result" : Path.GetFileNameWithoutExtension(path);
            if (string.IsNullOrWhiteSpace(name)) name = "result";
            await using var broker = await JobBroker.ConnectAsync(r.GetValue(nats)!, r.GetValue(creds), null, ct).ConfigureAwait(false);
            var state = new JobState(id, JobState.Queued, 0, null, Secrets.Redact(shown), null, [], default);
            if (!await broker.TryCreateStateAsync(state, ct).ConfigureAwait(false))
            {
                var existing = await broker.GetStateAsync(id, ct).ConfigureAwait(false);
                Console.WriteLine($"job={id}");
                Console.WriteLine($"existing=true state={existing?.State ?? "unknown"}");
                return CliErrors.Ok;
            }
            string? key = null;
            try
            {
                if (r.GetValue(upload))
                {
                    key = JobBroker.InputKey(id, path);
                    await broker.UploadAsync(key, path, ct).ConfigureAwait(false);
                }
                await broker.PublishAsync(new JobSpec(id, shown, key, name, runArgs, r.GetValue(video)), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not PoseTrackException)
            {
                await broker.PutStateAsync(state with { State = JobState.Failed, Error = "submit: " + Secrets.Redact(e.Message) }, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
            Console.WriteLine($"job={id}");
            return CliErrors.Ok;
        }, native: false));
        return cmd;
    }

    private static Command Jobs()
    {
        var cmd = new Command("jobs", "Follow the jobs on a NATS JetStream broker: list, wait, get");
        var nats = NatsOption(); var creds = CredsOption();
        nats.Recursive = true; creds.Recursive = true;
        cmd.Options.Add(nats); cmd.Options.Add(creds);

        var list = new Command("list", "Every job with its state, attempts, worker and input");
        var asJson = new Option<bool>("--json") { Description = "A JSON array of {id, state, attempts, worker, input, error, outputs}" };
        list.Options.Add(asJson);
        list.SetAction((r, ct) => CliErrors.GuardAsync(ct, async _ =>
        {
            await using var broker = await JobBroker.ConnectAsync(r.GetValue(nats)!, r.GetValue(creds), null, ct).ConfigureAwait(false);
            var jobs = await broker.ListAsync(ct).ConfigureAwait(false);
            if (r.GetValue(asJson)) { Console.WriteLine(JobJson.ToJson(jobs, indented: true)); return CliErrors.Ok; }
            foreach (var j in jobs)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{j.Id}\t{j.State}\tattempts={j.Attempts}\tworker={j.Worker ?? "-"}\t{j.Input}{(j.Error is null ? "" : "\terror=" + j.Error)}"));
            return CliErrors.Ok;
        }, native: false));

        var wait = new Command("wait", "Return when no job is queued or running: exit 0 if all are done, 2 if any failed or on timeout");
        var timeout = new Option<double?>("--timeout") { Description = "Give up after this many seconds (exit 2)" };
        wait.Options.Add(timeout);
        wait.SetAction((r, ct) => CliErrors.GuardAsync(ct, async _ =>
        {
            await using var broker = await JobBroker.ConnectAsync(r.GetValue(nats)!, r.GetValue(creds), null, ct).ConfigureAwait(false);
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var jobs = await broker.ListAsync(ct).ConfigureAwait(false);
                if (!jobs.Any(j => j.Open))
                {
                    int failed = jobs.Count(j => j.State == JobState.Failed);
                    Console.WriteLine($"jobs={jobs.Count} done={jobs.Count(j => j.State == JobState.Done)} failed={failed}");
                    foreach (var f in jobs.Where(j => j.State == JobState.Failed)) Console.Error.WriteLine($"posetrack: job {f.Id} failed: {f.Error}");
                    return failed == 0 ? CliErrors.Ok : CliErrors.BadInput;
                }
                if (r.GetValue(timeout) is { } t && clock.Elapsed.TotalSeconds >= t)
                {
                    Console.WriteLine($"timeout=true open={jobs.Count(j => j.Open)}");
                    return CliErrors.BadInput;
                }
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
        }, native: false));

        var get = new Command("get", "Download a done job's outputs: DIR/NAME.jsonl (and DIR/NAME.mp4 with --video)");
        var id = new Argument<string>("id") { Description = "Job id" };
        var outDir = new Option<string>("--output-dir") { Description = "Folder for the outputs", DefaultValueFactory = _ => "." };
        get.Arguments.Add(id); get.Options.Add(outDir);
        get.SetAction((r, ct) => CliErrors.GuardAsync(ct, async _ =>
        {
            await using var broker = await JobBroker.ConnectAsync(r.GetValue(nats)!, r.GetValue(creds), null, ct).ConfigureAwait(false);
            var jobId = JobBroker.CheckId(r.GetValue(id)!);
            var state = await broker.GetStateAsync(jobId, ct).ConfigureAwait(false) ?? throw new PoseTrackException($"no job {jobId}");
            if (state.State != JobState.Done) throw new PoseTrackException($"job {jobId} is {state.State}{(state.Error is null ? "" : ": " + state.Error)}");
            var dir = r.GetValue(outDir)!;
            Directory.CreateDirectory(dir);
            foreach (var key in state.Outputs)
            {
                var file = Path.Combine(dir, Path.GetFileName(key));
                await broker.DownloadAsync(key, file, ct).ConfigureAwait(false);
                Console.WriteLine($"wrote={Path.GetFullPath(file)}");
            }
            return CliErrors.Ok;
        }, native: false));

        cmd.Subcommands.Add(list); cmd.Subcommands.Add(wait); cmd.Subcommands.Add(get);
        return cmd;
    }
}

/// <summary>
/// In a job's child process (<see cref="Variable"/> set): standard input is a pipe from the worker that is never
/// written; when it closes — the worker exited or was killed — the child exits too instead of running on as an orphan.
/// </summary>
internal static class ParentWatch
{
    public const string Variable = "POSETRACK_EXIT_WITH_PARENT";

    public static void Install()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1") return;
        var t = new Thread(() =>
        {
            try
            {
                using var stdin = Console.OpenStandardInput();
                var buffer = new byte[64];
                while (stdin.Read(buffer, 0, buffer.Length) > 0) { }
            }
            catch (IOException) { }
            Environment.Exit(CliErrors.Interrupted);
        }) { IsBackground = true, Name = "parent-watch" };
        t.Start();
    }
}
